import { DEFAULT_CACHE } from '../cache/options.js';
import { frameTopic } from '../transport/codec/frame.js';
import type { RecordFields, RecordType, RecordValues } from '../transport/codec/records.js';
import type { ActorCache, ActorContext, ActorKernels, AskOptions, PipeOutcome, ReplyHandle } from '../transport/contract.js';
import type { Endpoint } from '../transport/endpoint/endpoint.js';
import { DualbusError, IncarnationRetired, NoReply } from '../transport/errors.js';
import { Kind, timeoutOption } from '../transport/protocol.js';

/**
 * The context of one incarnation of an actor; `begin` points it at the message about to be
 * handled. Once its incarnation failed or stopped it is retired: it refuses to act for the actor
 * (IncarnationRetired), so code of the old incarnation that resumes later cannot send, ask, reply
 * or publish in the name of the new one.
 */
export class ActorContextImpl<Reply = unknown> implements ActorContext<Reply> {
  private retired = false;
  private kind = 0;
  private corr = 0;
  private from = -1;
  private replied = false;
  /** Where the topic of the message being handled lies in this actor's block; decoded when asked for. */
  private topicByte = 0;
  private topicBytes = 0;
  private topicText: string | undefined = undefined;

  constructor(
    private readonly endpoint: Endpoint,
    private readonly askTimeoutMs: number,
    readonly kernels: ActorKernels,
    /** Queues a message for this actor in its own thread (pipeToSelf). */
    private readonly deliverLocal: (msg: unknown) => void,
    private readonly caches: (name: string) => ActorCache,
  ) {}

  /** Its incarnation ended: from now on it acts for nobody. */
  retire(): void {
    this.retired = true;
  }

  private readonly isLive = (): boolean => !this.retired;

  private live(): void {
    if (this.retired) throw new IncarnationRetired(this.endpoint.name);
  }

  cache(name = DEFAULT_CACHE): ActorCache {
    this.live();
    return this.caches(name);
  }

  get self(): string {
    return this.endpoint.name;
  }

  get sender(): string | undefined {
    return this.from < 0 ? undefined : this.endpoint.peerById(this.from)?.name; // the host is a peer too
  }

  get isAsk(): boolean {
    return this.kind === Kind.Ask;
  }

  /** The topic of the message being handled (the message, and so its topic bytes, stays in hand until it is handled). */
  get topic(): string | undefined {
    if (this.topicText === undefined && this.topicBytes !== 0) this.topicText = frameTopic(this.endpoint.own.block, { topicByte: this.topicByte, topicBytes: this.topicBytes });
    return this.topicText;
  }

  begin(kind: number, corr: number, from: number, topicByte: number, topicBytes: number): void {
    this.kind = kind;
    this.corr = corr;
    this.from = from;
    this.topicByte = topicByte;
    this.topicBytes = topicBytes;
    this.topicText = undefined;
    this.replied = false;
  }

  /** After the handler: an ask left unanswered is answered with NoReply, never left to time out. */
  finish(): void {
    if (this.retired) return;
    if (this.kind === Kind.Ask && !this.replied) this.fail(new NoReply(this.endpoint.name));
    this.kind = 0;
  }

  /** The handler threw: an ask gets the error as its answer. */
  fail(err: unknown): void {
    if (this.retired) return;
    if (this.kind === Kind.Ask && !this.replied) {
      this.replied = true;
      this.endpoint.replyError(this.from, this.corr, err);
    }
  }

  send(to: string, msg: unknown): boolean {
    this.live();
    return this.endpoint.send(this.endpoint.peer(to), msg);
  }

  sendBatch(to: string, msgs: readonly unknown[]): number {
    this.live();
    return this.endpoint.sendBatch(this.endpoint.peer(to), msgs);
  }

  sendRecordBatch<F extends RecordFields>(to: string, type: RecordType<F>, values: readonly RecordValues<F>[]): number {
    this.live();
    return this.endpoint.sendRecordBatch(this.endpoint.peer(to), type, values);
  }

  sendAsync(to: string, msg: unknown, options?: AskOptions): Promise<void> {
    try {
      this.live();
      return this.endpoint.sendAsync(this.endpoint.peer(to), msg, timeoutOption(options, this.askTimeoutMs), this.isLive);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  sendRecord<F extends RecordFields>(to: string, type: RecordType<F>, values: RecordValues<F>): boolean {
    this.live();
    return this.endpoint.sendRecord(this.endpoint.peer(to), type, values);
  }

  ask<R = unknown>(to: string, msg: unknown, options?: AskOptions): Promise<R> {
    try {
      this.live();
      return this.endpoint.ask(this.endpoint.peer(to), msg, timeoutOption(options, this.askTimeoutMs)) as Promise<R>;
    } catch (err) {
      return Promise.reject(err);
    }
  }

  reply(value: Reply): void {
    this.live();
    if (this.kind !== Kind.Ask) throw new DualbusError('NotAnAsk', `actor '${this.self}': reply called while handling a message that is not an ask`);
    if (this.replied) throw new DualbusError('AlreadyReplied', `actor '${this.self}': reply called twice for one ask`);
    this.replied = true;
    this.endpoint.reply(this.from, this.corr, value);
  }

  deferReply(): ReplyHandle<Reply> {
    this.live();
    if (this.kind !== Kind.Ask) throw new DualbusError('NotAnAsk', `actor '${this.self}': deferReply called while handling a message that is not an ask`);
    if (this.replied) throw new DualbusError('AlreadyReplied', `actor '${this.self}': deferReply called for an ask already answered`);
    this.replied = true; // finish() must not answer NoReply: the handle answers
    return new DeferredReply<Reply>(this.endpoint, this.from, this.corr, this.sender, this.isLive);
  }

  pipeToSelf<T>(promise: Promise<T>, toMessage: (outcome: PipeOutcome<T>) => unknown): void {
    this.live();
    // An outcome that comes after this incarnation ended is dropped: it was the old one's business.
    const deliver = (outcome: PipeOutcome<T>): void => {
      if (!this.retired) this.deliverLocal(toMessage(outcome));
    };
    promise.then(
      (value) => deliver({ ok: true, value }),
      (error: unknown) => deliver({ ok: false, error }),
    );
  }

  publish(topic: string, msg: unknown): boolean {
    this.live();
    return this.endpoint.publish(topic, msg);
  }

  publishRecord<F extends RecordFields>(topic: string, type: RecordType<F>, values: RecordValues<F>): boolean {
    this.live();
    return this.endpoint.publishRecord(topic, type, values);
  }

  publishBatch(topic: string, msgs: readonly unknown[]): boolean {
    this.live();
    return this.endpoint.publishBatch(topic, msgs);
  }

  publishRecordBatch<F extends RecordFields>(topic: string, type: RecordType<F>, values: readonly RecordValues<F>[]): boolean {
    this.live();
    return this.endpoint.publishRecordBatch(topic, type, values);
  }
}

/** An ask answered after its `receive` returned: the asker and its ask id, kept until `reply` or `fail`. */
class DeferredReply<Reply> implements ReplyHandle<Reply> {
  settled = false;

  constructor(
    private readonly endpoint: Endpoint,
    private readonly from: number,
    private readonly corr: number,
    readonly asker: string | undefined,
    private readonly live: () => boolean,
  ) {}

  reply(value: Reply): void {
    this.answered();
    this.endpoint.reply(this.from, this.corr, value);
  }

  fail(error: unknown): void {
    this.answered();
    this.endpoint.replyError(this.from, this.corr, error);
  }

  private answered(): void {
    if (!this.live()) throw new IncarnationRetired(this.endpoint.name);
    if (this.settled) throw new DualbusError('AlreadyReplied', `actor '${this.endpoint.name}': a deferred reply answered twice`);
    this.settled = true;
  }
}
