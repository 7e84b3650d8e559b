/**
 * Request traces with known character for the cache hit-rate bench: each is a `Uint32Array` of
 * key ids, generated from a seed so that every policy in a run (and every later run) sees the very
 * same requests.
 */

export interface ZipfTraceOptions {
  /** Distinct keys; ids are 0..keys-1. */
  keys: number;
  /** Requests in the trace. */
  length: number;
  /** Zipf exponent: key of popularity rank r is requested with probability r^-alpha / H(keys, alpha). */
  alpha: number;
  seed: number;
}

export interface ScanPollutedTraceOptions extends ZipfTraceOptions {
  /** Zipf requests between two scans. */
  scanEvery: number;
  /** Cold keys in each scan. */
  scanLength: number;
}

export interface LoopTraceOptions {
  keys: number;
  length: number;
}

/**
 * Zipf-distributed requests. Popularity ranks are assigned to ids by a seeded shuffle, so a cache
 * cannot do well by accident of its hashing favouring small ids.
 */
export function zipfTrace(options: ZipfTraceOptions): Uint32Array {
  const { keys, length, alpha, seed } = options;
  checkCount('keys', keys, 1);
  checkCount('length', length, 0);
  const next = zipfSampler(keys, alpha, seed);
  const trace = new Uint32Array(length);
  for (let i = 0; i < length; i++) trace[i] = next();
  return trace;
}

/**
 * The Zipf trace of the same options, with a scan after every `scanEvery` Zipf requests: `scanLength`
 * keys that were never requested before and never will be again (ids keys, keys+1, ... in order).
 * A scan is what pollutes an LRU: it flushes the hot keys for keys of no value. `length` counts all
 * requests, scans included; removing the scans leaves exactly the start of `zipfTrace(options)`,
 * because scan ids take nothing from the random stream.
 */
export function scanPollutedTrace(options: ScanPollutedTraceOptions): Uint32Array {
  const { keys, length, alpha, seed, scanEvery, scanLength } = options;
  checkCount('keys', keys, 1);
  checkCount('length', length, 0);
  checkCount('scanEvery', scanEvery, 1);
  checkCount('scanLength', scanLength, 0);
  const period = scanEvery + scanLength;
  const scanRequests = Math.floor(length / period) * scanLength + Math.max(0, (length % period) - scanEvery);
  if (keys + scanRequests > 2 ** 32) throw new RangeError('scanPollutedTrace: cold key ids would pass 2^32');
  const next = zipfSampler(keys, alpha, seed);
  const trace = new Uint32Array(length);
  let coldId = keys;
  for (let i = 0; i < length; i++) trace[i] = i % period < scanEvery ? next() : coldId++;
  return trace;
}

/**
 * 0, 1, ..., keys-1, 0, 1, ... A loop longer than the cache defeats LRU entirely: every key has
 * been evicted just before it comes round again.
 */
export function loopTrace(options: LoopTraceOptions): Uint32Array {
  const { keys, length } = options;
  checkCount('keys', keys, 1);
  checkCount('length', length, 0);
  const trace = new Uint32Array(length);
  for (let i = 0; i < length; i++) trace[i] = i % keys;
  return trace;
}

/** A trace named by its generator and options: what the bench runs and prints. */
export type TraceSpec =
  | ({ kind: 'zipf' } & ZipfTraceOptions)
  | ({ kind: 'scan-polluted' } & ScanPollutedTraceOptions)
  | ({ kind: 'loop' } & LoopTraceOptions);

export function generateTrace(spec: TraceSpec): Uint32Array {
  switch (spec.kind) {
    case 'zipf':
      return zipfTrace(spec);
    case 'scan-polluted':
      return scanPollutedTrace(spec);
    case 'loop':
      return loopTrace(spec);
  }
}

/** One line for the report: what the trace is and what it tests. */
export function describeTrace(spec: TraceSpec): string {
  const size = `${count(spec.length)} requests over ${count(spec.keys)} keys`;
  switch (spec.kind) {
    case 'zipf':
      return `Zipf(${spec.alpha}), ${size}, seed ${spec.seed}: skewed popularity, the common case`;
    case 'scan-polluted':
      return (
        `Zipf(${spec.alpha}), ${size}, seed ${spec.seed}, with a scan of ${count(spec.scanLength)} ` +
        `never-seen keys after every ${count(spec.scanEvery)} requests: tests resistance to one-hit wonders`
      );
    case 'loop':
      return `loop over 0..${spec.keys - 1}, ${size}: each key recurs after ${count(spec.keys)} requests, past any smaller LRU`;
  }
}

const count = (n: number): string => n.toLocaleString('en-US');

/**
 * Draws Zipf-distributed ids exactly: the CDF over ranks is precomputed and a uniform draw is
 * located in it by binary search (8 bytes a key and log2(keys) steps a draw; 1M keys is 8 MB).
 */
function zipfSampler(keys: number, alpha: number, seed: number): () => number {
  if (!(Number.isFinite(alpha) && alpha >= 0)) throw new RangeError(`alpha must be a finite number >= 0, got ${alpha}`);
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  const random = seededRandom(seed);
  const idOfRank = shuffledIds(keys, random);
  const cdf = new Float64Array(keys);
  let total = 0;
  for (let r = 0; r < keys; r++) cdf[r] = total += (r + 1) ** -alpha;
  return () => {
    const u = random() * total;
    // The smallest rank whose cumulative weight exceeds u.
    let lo = 0;
    let hi = keys - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid]! > u) hi = mid;
      else lo = mid + 1;
    }
    return idOfRank[lo]!;
  };
}

function shuffledIds(keys: number, random: () => number): Uint32Array {
  const ids = new Uint32Array(keys);
  for (let i = 0; i < keys; i++) ids[i] = i;
  for (let i = keys - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = ids[i]!;
    ids[i] = ids[j]!;
    ids[j] = t;
  }
  return ids;
}

/**
 * Uniform doubles in [0, 1) with 53 random bits, from sfc32 (small, fast, passes PractRand) seeded
 * through splitmix32 so that nearby seeds give unrelated streams. Math.random cannot be seeded.
 */
function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  const splitmix32 = (): number => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = splitmix32();
  let b = splitmix32();
  let c = splitmix32();
  let d = splitmix32();
  const sfc32 = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  for (let i = 0; i < 12; i++) sfc32(); // the first outputs still show the seed's structure
  return () => ((sfc32() >>> 5) * 67108864 + (sfc32() >>> 6)) / 9007199254740992;
}

function checkCount(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min || value > 2 ** 32) {
    throw new RangeError(`${name} must be an integer in [${min}, 2^32], got ${value}`);
  }
}
