import fc from 'fast-check';

/**
 * Values a sender may put in a message, as fast-check arbitraries: what msgpack carries and the
 * payload decoder gives back exactly (the seeds of the msgpack, lz4, ring- and bus-frame fuzzers,
 * and the round-trip properties). Left out, because they do not come back as they went: -0 (0),
 * a key `__proto__` (`__proto_`), Map, Set, Error, RegExp (msgpackr writes them as a map or
 * an array) and invalid Dates (they come back as an invalid Date, which no equality accepts).
 */
const text = fc.string({ unit: 'binary', maxLength: 40 });
const key = fc.oneof(fc.string({ unit: 'binary-ascii', maxLength: 12 }), text).filter((k) => k !== '__proto__');

const scalar: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: fc.integer(), weight: 3 },
  { arbitrary: fc.integer({ min: -128, max: 255 }), weight: 2 },
  { arbitrary: fc.double().map((d) => (Object.is(d, -0) ? 0 : d)), weight: 2 },
  { arbitrary: fc.maxSafeInteger(), weight: 1 },
  { arbitrary: text, weight: 3 },
  { arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 100, maxLength: 400 }), weight: 1 },
  { arbitrary: fc.boolean(), weight: 1 },
  { arbitrary: fc.constant(null), weight: 1 },
  { arbitrary: fc.constant(undefined), weight: 1 },
  { arbitrary: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n }), weight: 1 },
  { arbitrary: fc.date({ noInvalidDate: true }), weight: 1 },
  { arbitrary: fc.uint8Array({ maxLength: 64 }), weight: 1 },
);

/** A plain value: scalars, and arrays and objects of them, a few levels deep. */
export const payloadValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { arbitrary: scalar, weight: 3 },
    { arbitrary: fc.array(tie('value'), { maxLength: 8 }), weight: 1 },
    { arbitrary: fc.dictionary(key, tie('value'), { maxKeys: 8 }), weight: 2 },
  ),
})).value;

/** A message as senders write them: mostly an object of fields. */
export const messageValue: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: fc.dictionary(key, payloadValue, { maxKeys: 10 }), weight: 4 },
  { arbitrary: payloadValue, weight: 1 },
);

/** `n` values of `arbitrary`, the same ones for the same `seed`. */
export function sampleOf<T>(arbitrary: fc.Arbitrary<T>, seed: number, n: number): T[] {
  return fc.sample(arbitrary, { seed, numRuns: n });
}
