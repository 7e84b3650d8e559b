import type { RecordFields, RecordType, RecordValues } from '../transport/codec/records.js';
import type { Endpoint } from '../transport/endpoint.js';
import { DualbusError, NoReply } from '../transport/errors.js';
import { Kind, timeoutOption } from '../transport/protocol.js';

export interface AskOptions {
  /** Reject with AskTimeout after this long (default: the system's askTimeoutMs). */
  timeoutMs?: number;
}

/** What an actor's handlers use to talk to the rest of the system. */
export interface ActorContext<Reply = unknown> {
  /** This actor's name. */
  readonly self: string;
  /** Who sent the message being handled ('$host' for the host), if still known. */
  readonly sender: string | undefined;
  /** The topic of the message being handled, when it came from a publish. */
  readonly topic: string | undefined;
  /** True when the message being handled is an ask that expects `reply`. */
  readonly isAsk: boolean;
  /** Writes straight into the other actor's ring. False when its mailbox is full (nothing sent). */
  send(to: string, msg: unknown): boolean;
  /** Waits for room in the other mailbox (up to timeoutMs) instead of returning false. */
  sendAsync(to: string, msg: unknown, options?: AskOptions): Promise<void>;
  /** Writes a binary record field by field into the other actor's ring. */
  sendRecord<F extends RecordFields>(to: string, type: RecordType<F>, values: RecordValues<F>): boolean;
  ask<R = unknown>(to: string, msg: unknown, options?: AskOptions): Promise<R>;
  /** Answers the ask being handled (also after an await inside an async receive). */
  reply(value: Reply): void;
  /** Delivers to every subscriber whose pattern matches; false if any subscriber's mailbox was full. */
  publish(topic: string, msg: unknown): boolean;
  publishRecord<F extends RecordFields>(topic: string, type: RecordType<F>, values: RecordValues<F>): boolean;
}

/** The context of one actor; `begin` points it at the message about to be handled. */
export class ActorContextImpl<Reply = unknown> implements ActorContext<Reply> {
  private kind = 0;
  private corr = 0;
  private from = -1;
  private replied = false;
  topic: string | undefined = undefined;

  constructor(
    private readonly endpoint: Endpoint,
    private readonly askTimeoutMs: number,
  ) {}

  get self(): string {
    return this.endpoint.name;
  }

  get sender(): string | undefined {
    return this.from < 0 ? undefined : this.endpoint.peerById(this.from)?.name; // the host is a peer too
  }

  get isAsk(): boolean {
    return this.kind === Kind.Ask;
  }

  begin(kind: number, corr: number, from: number, topic: string | undefined): void {
    this.kind = kind;
    this.corr = corr;
    this.from = from;
    this.topic = topic;
    this.replied = false;
  }

  /** After the handler: an ask left unanswered is answered with NoReply, never left to time out. */
  finish(): void {
    if (this.kind === Kind.Ask && !this.replied) this.fail(new NoReply(this.endpoint.name));
    this.kind = 0;
  }

  /** The handler threw: an ask gets the error as its answer. */
  fail(err: unknown): void {
    if (this.kind === Kind.Ask && !this.replied) {
      this.replied = true;
      this.endpoint.replyError(this.from, this.corr, err);
    }
  }

  send(to: string, msg: unknown): boolean {
    return this.endpoint.send(this.endpoint.peer(to), msg);
  }

  sendAsync(to: string, msg: unknown, options?: AskOptions): Promise<void> {
    try {
      return this.endpoint.sendAsync(this.endpoint.peer(to), msg, timeoutOption(options, this.askTimeoutMs));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  sendRecord<F extends RecordFields>(to: string, type: RecordType<F>, values: RecordValues<F>): boolean {
    return this.endpoint.sendRecord(this.endpoint.peer(to), type, values);
  }

  ask<R = unknown>(to: string, msg: unknown, options?: AskOptions): Promise<R> {
    try {
      return this.endpoint.ask(this.endpoint.peer(to), msg, timeoutOption(options, this.askTimeoutMs)) as Promise<R>;
    } catch (err) {
      return Promise.reject(err);
    }
  }

  reply(value: Reply): void {
    if (this.kind !== Kind.Ask) throw new DualbusError('NotAnAsk', `actor '${this.self}': reply called while handling a message that is not an ask`);
    if (this.replied) throw new DualbusError('AlreadyReplied', `actor '${this.self}': reply called twice for one ask`);
    this.replied = true;
    this.endpoint.reply(this.from, this.corr, value);
  }

  publish(topic: string, msg: unknown): boolean {
    return this.endpoint.publish(topic, msg);
  }

  publishRecord<F extends RecordFields>(topic: string, type: RecordType<F>, values: RecordValues<F>): boolean {
    return this.endpoint.publishRecord(topic, type, values);
  }

}
