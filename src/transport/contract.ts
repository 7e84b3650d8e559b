import type { RecordFields, RecordType, RecordValues } from './codec/records.js';

/**
 * The actor contract: what an actor module exports and what its handlers are given. Both sides
 * need these types (the host to type `spawn` and refs, the worker to run the actor), so they live
 * here, with the bytes, and neither side imports the other.
 */

export interface AskOptions {
  /** Reject with AskTimeout after this long (default: the system's askTimeoutMs). */
  timeoutMs?: number;
}

/** How one kernel call runs (see the system's kernel pool): every field optional. */
export interface ActorKernelRunOptions {
  /** 'auto' (default: per kernel and input size, from the calibration), or a backend by name. */
  backend?: 'auto' | 'js' | 'native' | 'webgpu' | 'mlx' | 'onnx';
  /** Reject with KernelTimeout after this long, queue wait included. */
  timeoutMs?: number;
  /** Reject with an AbortError when it fires (the call is stopped in the pool too). */
  signal?: AbortSignal;
  /** Arrays (on SharedArrayBuffers) to write the results into, by output name. */
  out?: Record<string, ArrayBufferView>;
}

/** The system's heavy-kernel pool, as an actor reaches it. */
export interface ActorKernels {
  /** Runs a kernel in the pool; typed arrays on SharedArrayBuffers go by reference, results come back in shared arrays. */
  run<R = any>(kernel: string, input: unknown, options?: ActorKernelRunOptions): Promise<R>;
}

/** What a promise given to `pipeToSelf` settled to. */
export type PipeOutcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** An ask kept open past the end of `receive` (`ctx.deferReply()`), answered later from anywhere in the actor. */
export interface ReplyHandle<Reply = unknown> {
  /** Who asked. */
  readonly asker: string | undefined;
  /** True once answered (each handle answers once). */
  readonly settled: boolean;
  reply(value: Reply): void;
  /** Answers the ask with an error (the asker's promise rejects with RemoteError). */
  fail(error: unknown): void;
}

/** A key of a cache: a string, or bytes. */
export type CacheKey = string | Uint8Array;

/** Per cache figures (`cache.stats()`, `system.stats().caches`). */
export interface CacheStats {
  hits: number;
  misses: number;
  /** hits / (hits + misses), 0 before any read. */
  hitRate: number;
  evictions: number;
  expirations: number;
  entries: number;
  /** Bytes of the arena blocks in use (keys and values, rounded up to their size class). */
  bytes: number;
  maxBytes: number;
  maxEntries: number;
  /** Times the cache was emptied because a thread died (killed) in the middle of changing it. */
  resets: number;
}

/** One of the host's caches as the host and its actors use it (cache/shared-cache.ts). */
export interface ActorCache {
  readonly name: string;
  /** The value for `key`, or undefined (absent, expired). */
  get<T = unknown>(key: CacheKey): T | undefined;
  has(key: CacheKey): boolean;
  /** Stores a msgpack value, a typed array (kept as its bytes) or a record; `ttlMs` overrides the cache's. */
  set(key: CacheKey, value: unknown, options?: { ttlMs?: number }): void;
  delete(key: CacheKey): boolean;
  /** The cached value, or compute() once across every thread of the host asking at the same time. */
  memo<T>(key: CacheKey, compute: () => T | Promise<T>, options?: { ttlMs?: number }): Promise<T>;
  stats(): CacheStats;
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
  /**
   * Writes many messages with one claim of the other actor's ring per run: returns how many were
   * written, from the first (fewer when its mailbox filled up: send the rest later).
   */
  sendBatch(to: string, msgs: readonly unknown[]): number;
  /** Waits for room in the other mailbox (up to timeoutMs) instead of returning false. */
  sendAsync(to: string, msg: unknown, options?: AskOptions): Promise<void>;
  /** Writes a binary record field by field into the other actor's ring. */
  sendRecord<F extends RecordFields>(to: string, type: RecordType<F>, values: RecordValues<F>): boolean;
  /** Writes many records of one type, as `sendBatch`. */
  sendRecordBatch<F extends RecordFields>(to: string, type: RecordType<F>, values: readonly RecordValues<F>[]): number;
  ask<R = unknown>(to: string, msg: unknown, options?: AskOptions): Promise<R>;
  /** Answers the ask being handled (also after an await inside an async receive). */
  reply(value: Reply): void;
  /**
   * Keeps the ask being handled open after `receive` returns (instead of the NoReply it would get):
   * keep the handle in state and answer from the handling of another message, like gen_server:reply.
   */
  deferReply(): ReplyHandle<Reply>;
  /**
   * When `promise` settles, `toMessage(outcome)` is delivered to this actor as a message of its own
   * (Akka's pipeToSelf): `receive` goes on handling other messages meanwhile. The message stays in
   * this thread (no copy: shared arrays in it stay shared); it is lost if the actor restarts first.
   */
  pipeToSelf<T>(promise: Promise<T>, toMessage: (outcome: PipeOutcome<T>) => unknown): void;
  /** The system's heavy-kernel pool. */
  readonly kernels: ActorKernels;
  /**
   * A cache of the host (`'default'` when no name is given), in shared memory: the same entries the
   * host and every other actor of the host see, read in this thread without a message.
   */
  cache(name?: string): ActorCache;
  /** Delivers to every subscriber whose pattern matches; false if any subscriber's mailbox was full. */
  publish(topic: string, msg: unknown): boolean;
  publishRecord<F extends RecordFields>(topic: string, type: RecordType<F>, values: RecordValues<F>): boolean;
  /** Publishes many messages on one topic, one claim per subscriber and run; false if a subscriber could not take them all. */
  publishBatch(topic: string, msgs: readonly unknown[]): boolean;
  publishRecordBatch<F extends RecordFields>(topic: string, type: RecordType<F>, values: readonly RecordValues<F>[]): boolean;
}

/**
 * An actor module's default export. `Msg` is what it receives, `Reply` what it answers asks
 * with, `State` what `init` builds (again at every restart).
 */
export interface ActorDefinition<Msg = any, Reply = unknown, State = any> {
  /** Topic patterns this actor receives publishes for (`*` any run of characters, `?` one). */
  readonly subscribe?: readonly string[];
  init?(ctx: ActorContext<Reply>): State | Promise<State>;
  /** Handles one message at a time; an async receive holds the next message until it settles. */
  receive(state: State, msg: Msg, ctx: ActorContext<Reply>): void | Promise<void>;
  /** Graceful shutdown, after the mailbox is drained. */
  stop?(state: State, ctx: ActorContext<Reply>): void | Promise<void>;
  /**
   * What to keep across a restart: called when the actor goes idle (at most every
   * snapshotIntervalMs), on a graceful stop and when a receive error restarts it. The value must
   * survive structured clone. A hard crash (memory, hang, exit) keeps the last one taken.
   */
  snapshot?(state: State): unknown;
  /** Builds the state from the last snapshot, instead of `init`, when the actor restarts. */
  restore?(snapshot: any, ctx: ActorContext<Reply>): State | Promise<State>;
  /** Phantom fields: carry the message and reply types to `spawn` and refs. Never set. */
  readonly __msg?: Msg;
  readonly __reply?: Reply;
}

export type AnyActorDefinition = ActorDefinition<any, any, any>;
export type MessageOf<A> = A extends ActorDefinition<infer M, any, any> ? M : never;
export type ReplyOf<A> = A extends ActorDefinition<any, infer R, any> ? R : never;
