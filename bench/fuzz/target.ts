import type { LengthField, MutationContext } from './mutate.js';
import type { Rng } from './rng.js';

/** One decoder under fuzz: how to make valid inputs for it, and how to run it as the runtime does. */
export interface FuzzTarget {
  readonly name: string;
  /** Valid encodings made by dualbus's own encoders (and, for msgpack, payloads other encoders make), the same for the same seed. */
  seeds(seed: number): Uint8Array[];
  /** Where the length and count fields of `bytes` lie (best effort on a mutated input). */
  lengthFields(bytes: Uint8Array): LengthField[];
  /**
   * Makes a mutated input consistent again where a check would otherwise stop every mutation at
   * the door (a checksum, an outer length), so that mutations reach the checks behind it.
   */
  reseal?(bytes: Uint8Array, rng: Rng, ctx: MutationContext): Uint8Array;
  /**
   * Decodes `bytes` as the runtime does and returns what a receiver gets, read out into plain
   * data (a record's fields, a frame's topic): whatever it returns or throws is judged by the caller.
   */
  decode(bytes: Uint8Array): unknown;
  /** Decodes a known good input, as the next frame after a bad one: true when it comes out right. */
  goodStillDecodes(): boolean;
}
