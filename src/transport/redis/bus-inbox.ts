import type { Endpoint, Payload, PayloadSource, Peer } from '../endpoint/endpoint.js';
import { ActorStopped, FrameError, MessageTooLarge } from '../errors.js';
import { serializeError } from '../protocol.js';
import { BusKind, decodeBusFrame, type BusEntry, type BusFrame } from './bus-frame.js';
import type { BusDirectory } from './bus-directory.js';
import type { BridgeEvents } from './bridge.js';
import type { Settled } from './in-hand.js';

/** How long the bridge waits for a local actor to answer an ask from another host (the asker has its own timeout). */
const REMOTE_ASK_TIMEOUT_MS = 60_000;

/** What the inbox needs of its bridge. */
export interface BusInboxEnv {
  endpoint: Endpoint;
  hosts: BusDirectory;
  counters: { elReceived: number; mdReceived: number; mdDropped: number; undeliverable: number };
  events: BridgeEvents;
  /** Queues the answer to an ask from `host`. */
  answer(host: string, ask: BusEntry, kind: BusKind, payload: Payload): void;
  /** A frame that failed to decode. */
  rejected(bus: string, entryId: string | undefined, err: FrameError): void;
}

/**
 * The bridge's way in: engine-logic messages from its stream and market data from its channel,
 * written into this host's rings, with a receipt for each run of engine-logic messages so that
 * its stream entry is acknowledged only once they are handled.
 */
export class BusInbox {
  /** False once the host shuts down: messages for its actors stay in its stream for its next process. */
  receiving = true;

  constructor(private readonly env: BusInboxEnv) {}

  /**
   * Delivers messages `[from, to)` of an engine-logic frame into this host's rings, as they came:
   * a run of sends to one actor with one claim. Returns how many it delivered (at least one), a
   * promise of that when the first waits for room (a send is never dropped), or 'later' when its
   * actor is not (yet) here. What it wrote into a ring gets a receipt: handled once the actor
   * finished with it.
   */
  deliver(frame: BusFrame, from: number, to: number, receipts: Settled[]): number | 'later' | Promise<number | 'later'> {
    const ep = this.env.endpoint;
    const m = frame.entries[from]!;
    if (m.kind === BusKind.Reply || m.kind === BusKind.ReplyError) {
      this.env.counters.elReceived++;
      // The payload is a view into the frame: written now, or copied if the asker's reply ring is full.
      ep.replyPayload(m.from, m.corr, m.kind, { encoding: m.encoding, flags: m.flags, bytes: frame.payload(from) });
      return 1;
    }
    // Shutting down: left in the stream for the next process of this host.
    if (!this.receiving) return 'later';
    const peer = this.env.hosts.localPeer(m.address);
    // Not (yet) here: a host that restarts receives its stream before its actors are back. The
    // entry stays pending and comes again (an ask's asker times out if the actor never comes).
    if (peer === undefined) return 'later';
    if (m.kind === BusKind.Send) {
      let end = from + 1;
      while (end < to && frame.entries[end]!.kind === BusKind.Send && frame.entries[end]!.address === m.address) end++;
      const n = this.writeRun(peer, m, frame, from, end - from, receipts);
      if (n > 0) return n;
      return this.sendWhenRoom(peer, m, frame, from, end - from, receipts); // its bytes live in the frame, not in a ring
    }
    this.env.counters.elReceived++;
    if (m.kind === BusKind.Ask) {
      const origin = frame.origin;
      ep.askPayload(peer, () => ({ encoding: m.encoding, flags: m.flags, bytes: frame.payload(from) }), REMOTE_ASK_TIMEOUT_MS, {
        answered: (h) => this.env.answer(origin, m, h.kind as BusKind, ep.payloadOf(h)),
        failed: (err) => this.env.answer(origin, m, BusKind.ReplyError, ep.encode(serializeError(err))),
      });
      receipts.push(this.receipt(peer)); // handled when its actor finished with it (the answer may still be on its way)
      return 1;
    }
    this.env.events.event('bad-message', { reason: `kind ${m.kind} on the engine-logic bus` });
    return 1;
  }

  /**
   * Waits until the actor's ring takes at least the first of the run; returns how many it took
   * ('later' when the host shuts down meanwhile: the entry stays pending for its next process).
   */
  private async sendWhenRoom(peer: Peer, first: BusEntry, source: PayloadSource, from: number, count: number, receipts: Settled[]): Promise<number | 'later'> {
    for (;;) {
      await peer.mailbox.messages.waitForSpace(100);
      if (!this.receiving) return 'later';
      const n = this.writeRun(peer, first, source, from, count, receipts);
      if (n > 0) return n;
    }
  }

  /**
   * The check that what was just written into `peer`'s ring is handled: its consumer finished past
   * it. An actor stopped for good (gone from the directory) will never finish it: that counts as
   * handled while the host runs (as a message it can never take); during a shutdown it does not,
   * and the message is left for the host's next process.
   */
  private receipt(peer: Peer): Settled {
    const ring = peer.mailbox.messages;
    const end = ring.claimedUpTo();
    const directory = this.env.endpoint.directory;
    return () => ring.finishedPast(end) || (this.receiving && directory.peerById(peer.id) !== peer);
  }

  /**
   * A message its actor can never take (larger than its mailbox allows, or the actor stopped for
   * good): reported and counted, and the stream goes on past it.
   */
  /**
   * Writes a run of sends into the actor's ring: how many it took (0: no room now), counted and with
   * its receipt; 1 for an entry the actor can never take (undeliverable).
   */
  private writeRun(peer: Peer, first: BusEntry, source: PayloadSource, from: number, count: number, receipts: Settled[]): number {
    let n: number;
    try {
      n = this.env.endpoint.sendPayloads(peer, source, from, count);
    } catch (err) {
      return this.undeliverable(first, err);
    }
    if (n > 0) {
      this.env.counters.elReceived += n;
      receipts.push(this.receipt(peer));
    }
    return n;
  }

  private undeliverable(m: BusEntry, err: unknown): number {
    if (!(err instanceof MessageTooLarge || err instanceof ActorStopped)) throw err;
    this.env.counters.undeliverable++;
    this.env.events.event('undeliverable', { actor: m.address, kind: m.kind }, serializeError(err));
    return 1;
  }

  /** A market-data frame from the bus: its publishes to this host's subscribers (a bad frame is rejected). */
  onMarketData(bytes: Buffer): void {
    let frame: BusFrame;
    try {
      frame = decodeBusFrame(bytes);
    } catch (err) {
      this.env.rejected('market-data', undefined, err as FrameError);
      return;
    }
    if (!this.receiving) return; // shutting down: market data is not kept for later
    // Consecutive publishes on one topic go to each subscriber as one run (one claim).
    const list = frame.entries;
    for (let i = 0; i < list.length; ) {
      const topic = list[i]!.address;
      let end = i + 1;
      while (end < list.length && list[end]!.kind === BusKind.Publish && list[end]!.address === topic) end++;
      if (list[i]!.kind === BusKind.Publish) {
        this.env.counters.mdReceived += end - i;
        // A local subscriber whose mailbox is full (or too small) loses what did not fit: counted there (overflows) and here.
        this.env.counters.mdDropped += this.env.endpoint.publishPayloads(topic, frame, i, end - i, true);
      }
      i = end;
    }
  }
}
