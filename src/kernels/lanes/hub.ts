import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { LANE_RUNNING, LANE_WORDS, type HubMessage, type LaneConfig, type LaneHubHello } from './protocol.js';

/** One lane as the actor's worker receives it. */
export interface LaneOffer {
  laneId: number;
  /** The pool thread at the other end. */
  threadId: number;
  port: MessagePort;
  /** The lane's words (LANE_STARTED, LANE_RUNNING, cancel slots). */
  words: Int32Array;
  /** The pool thread's load word. */
  load: Int32Array;
}

/** An actor's worker that takes lanes: its doorbell words (answers are announced there) and where offers go. */
export interface LaneSubscriber {
  doorbell: Int32Array;
  offer(lane: LaneOffer): void;
}

interface PoolThread {
  hub: MessagePort;
  load: Int32Array;
}

interface OpenLane {
  threadId: number;
  words: Int32Array;
  subscriber: LaneSubscriber;
}

/**
 * The host's side of the direct lanes: every pool thread that announces itself gets a lane to
 * every actor worker that subscribes (and the other way round), and the current registry and
 * calibration. A thread that ends closes its lanes (their ports close at both ends); an actor that
 * gives up on a running call asks here to stop the thread, which piscina then replaces.
 */
export class LaneHub {
  private readonly threads = new Map<number, PoolThread>();
  private readonly subscribers = new Set<LaneSubscriber>();
  private readonly lanes = new Map<number, OpenLane>();
  private nextLane = 1;

  constructor(
    private config: LaneConfig,
    private readonly terminate: (threadId: number) => void,
  ) {}

  addThread(hello: LaneHubHello): void {
    const thread: PoolThread = { hub: hello.dualbusKernelLanes, load: hello.load };
    this.threads.set(hello.threadId, thread);
    thread.hub.on('close', () => this.dropThread(hello.threadId));
    thread.hub.unref();
    this.send(thread, { type: 'config', config: this.config });
    for (const s of this.subscribers) this.open(hello.threadId, thread, s);
  }

  /** Lanes to every pool thread, now and as they start; returns the unsubscribe. */
  subscribe(subscriber: LaneSubscriber): () => void {
    this.subscribers.add(subscriber);
    for (const [threadId, thread] of this.threads) this.open(threadId, thread, subscriber);
    return () => {
      this.subscribers.delete(subscriber);
      for (const [id, lane] of this.lanes) if (lane.subscriber === subscriber) this.lanes.delete(id);
    };
  }

  setConfig(config: LaneConfig): void {
    this.config = config;
    for (const thread of this.threads.values()) this.send(thread, { type: 'config', config });
  }

  /** The actor gave up on call `id` of lane `laneId`: stop its thread if that call is still the one running. */
  stopRunning(laneId: number, id: number): void {
    const lane = this.lanes.get(laneId);
    if (lane !== undefined && Atomics.load(lane.words, LANE_RUNNING) === id) this.terminate(lane.threadId);
  }

  private open(threadId: number, thread: PoolThread, subscriber: LaneSubscriber): void {
    const laneId = this.nextLane++;
    const words = new Int32Array(new SharedArrayBuffer(LANE_WORDS * 4));
    const { port1, port2 } = new MessageChannel();
    this.lanes.set(laneId, { threadId, words, subscriber });
    this.send(thread, { type: 'lane', laneId, port: port1, words, doorbell: subscriber.doorbell }, [port1]);
    subscriber.offer({ laneId, threadId, port: port2, words, load: thread.load });
  }

  private dropThread(threadId: number): void {
    this.threads.delete(threadId);
    for (const [id, lane] of this.lanes) if (lane.threadId === threadId) this.lanes.delete(id);
  }

  private send(thread: PoolThread, m: HubMessage, transfer: MessagePort[] = []): void {
    thread.hub.postMessage(m, transfer);
  }
}
