/**
 * Copies `n` bytes from `src` at `srcAt` to `dst` at `dstAt`. Short runs (most payloads and every
 * address) are copied by a loop, which makes no view; long ones by TypedArray.set on a view.
 */
export function copyBytes(src: Uint8Array, srcAt: number, dst: Uint8Array, dstAt: number, n: number): void {
  if (n <= 64) {
    for (let k = 0; k < n; k++) dst[dstAt + k] = src[srcAt + k]!;
    return;
  }
  dst.set(src.subarray(srcAt, srcAt + n), dstAt);
}

/** Whether `n` bytes of `a` at `aAt` equal those of `b` at `bAt` (short runs: a loop, no view). */
export function sameBytes(a: Uint8Array, aAt: number, b: Uint8Array, bAt: number, n: number): boolean {
  for (let k = 0; k < n; k++) if (a[aAt + k] !== b[bAt + k]) return false;
  return true;
}
