import type { Cluster, Redis } from 'ioredis';
import { onConnectionClose } from './stream-replies.js';

/** Fewer replicas than asked for acknowledged a frame in time (or the connection changed under WAIT). */
export class ReplicasBehind extends Error {}

export interface StreamWriterOptions {
  /** XADD MAXLEN ~ bound. */
  maxLen: number;
  /** A stream expires this long after the last write to it. */
  ttlMs: number;
  /** How many replicas must hold a frame before append() resolves; 0: the master's acknowledgement is enough. */
  replicas: number;
  /** How long one WAIT waits for them. */
  waitMs: number;
}

/**
 * Appends engine-logic frames to hosts' streams: XADD (MAXLEN ~) and the stream's expiry renewed,
 * in one pipeline, which on a Cluster goes to the master of the stream's slot. With replicas asked
 * for, the pipeline ends with WAIT: Redis answers how many replicas have every write made so far on
 * *this connection*, so the WAIT must travel with the XADD, on the connection the pipeline took (sent
 * on its own, a keyless WAIT would go to any node of a Cluster). Replication is asynchronous: a
 * master killed before a replica has a write it acknowledged loses it in the failover; a frame WAIT
 * confirmed is on the replica that the failover promotes (with one replica per master).
 */
export class StreamWriter {
  /** Bumped whenever a connection of the writer closes: a WAIT resent on a new connection counts none of the old one's writes. */
  private closes = 0;

  constructor(
    private readonly redis: Redis | Cluster,
    private readonly options: StreamWriterOptions,
  ) {
    if (options.replicas > 0) onConnectionClose(redis, () => this.closes++);
  }

  /** Resolves once the frame is in `stream` (and held by the replicas asked for); rejects otherwise: write it again. */
  async append(stream: string, frame: Buffer): Promise<void> {
    const o = this.options;
    const closes = this.closes;
    const pipeline = this.redis.pipeline().xadd(stream, 'MAXLEN', '~', String(o.maxLen), '*', 'f', frame).pexpire(stream, o.ttlMs);
    if (o.replicas > 0) pipeline.wait(o.replicas, o.waitMs);
    const results = await pipeline.exec();
    if (results === null) throw new Error(`the pipeline writing to ${stream} was discarded`);
    const failed = results.find(([err]) => err !== null)?.[0];
    if (failed) {
      // A pipeline that failed part-way (MOVED for the XADD, WAIT answered by the wrong node) is not
      // redirected by ioredis: the slot map is refreshed here, so that the next attempt finds the master.
      if (this.redis.isCluster) (this.redis as Cluster).refreshSlotsCache();
      throw failed;
    }
    if (o.replicas === 0) return;
    const acks = results[2]![1] as number;
    if (acks < o.replicas) throw new ReplicasBehind(`${acks} of ${o.replicas} replicas acknowledged a frame for ${stream} within ${o.waitMs} ms`);
    if (this.closes !== closes) throw new ReplicasBehind(`a connection closed while a frame for ${stream} was written: its WAIT is not trusted`);
  }
}
