import { compressSync } from 'lz4-napi';

/** Default size above which a payload or a bus frame body is lz4-compressed: below it, compressing costs more than it saves. */
export const DEFAULT_COMPRESS_ABOVE = 1024;

/**
 * `bytes` lz4-compressed, when it is longer than `above` and compression makes it smaller;
 * otherwise undefined (send `bytes` as they are).
 */
export function compressIfSmaller(bytes: Uint8Array, above: number): Buffer | undefined {
  if (bytes.length <= above) return undefined;
  const packed = compressSync(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  return packed.length < bytes.length ? packed : undefined;
}
