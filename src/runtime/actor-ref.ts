import type { RecordFields, RecordType, RecordValues, RecordView } from '../transport/codec/records.js';
import type { Endpoint } from '../transport/endpoint/endpoint.js';
import { timeoutOption } from '../transport/protocol.js';

export interface RefAskOptions {
  /** Reject with AskTimeout after this long (default: the system's askTimeoutMs). */
  timeoutMs?: number;
}

/** The record types `Msg` admits: sendRecord takes only a layout the actor declared it receives. */
type RecordOf<Msg, F extends RecordFields> = RecordView<F> extends Msg ? RecordType<F> : never;

/**
 * A handle on an actor, by name, from the host thread. Generic over what the actor receives and
 * answers, so a wrong message is a compile-time error. Data goes straight into the actor's ring.
 */
export class ActorRef<Msg = unknown, Reply = unknown> {
  /** @internal */
  constructor(
    readonly name: string,
    private readonly endpoint: Endpoint,
    private readonly askTimeoutMs: number,
    /** Runs right after an ask is written (the host may spin for the reply). */
    private readonly afterAsk: () => void,
  ) {}

  /** False when the mailbox is full (counted there; nothing is sent). Throws MessageTooLarge, ActorStopped. */
  send(msg: Msg): boolean {
    return this.endpoint.send(this.endpoint.peer(this.name), msg);
  }

  /** Waits up to timeoutMs for room instead of returning false; rejects with MailboxFull after that. */
  sendAsync(msg: Msg, options?: RefAskOptions): Promise<void> {
    try {
      return this.endpoint.sendAsync(this.endpoint.peer(this.name), msg, timeoutOption(options, this.askTimeoutMs));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Writes a binary record field by field into the actor's ring (the zero-copy path). */
  sendRecord<F extends RecordFields>(type: RecordOf<Msg, F>, values: RecordValues<F>): boolean {
    return this.endpoint.sendRecord(this.endpoint.peer(this.name), type as RecordType<F>, values);
  }

  /** Writes many messages, one ring claim per run; returns how many were written, from the first (fewer when the mailbox filled up). */
  sendBatch(msgs: readonly Msg[]): number {
    return this.endpoint.sendBatch(this.endpoint.peer(this.name), msgs);
  }

  /** Writes many records of one type, as `sendBatch`. */
  sendRecordBatch<F extends RecordFields>(type: RecordOf<Msg, F>, values: readonly RecordValues<F>[]): number {
    return this.endpoint.sendRecordBatch(this.endpoint.peer(this.name), type as RecordType<F>, values);
  }

  /** Resolves with the actor's reply; rejects with AskTimeout, ActorCrashed, ActorStopped, RemoteError, NoReply. */
  ask(msg: Msg, options?: RefAskOptions): Promise<Reply> {
    try {
      const p = this.endpoint.ask(this.endpoint.peer(this.name), msg, timeoutOption(options, this.askTimeoutMs)) as Promise<Reply>;
      this.afterAsk();
      return p;
    } catch (err) {
      return Promise.reject(err);
    }
  }

}
