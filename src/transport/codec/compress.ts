import { compressSync, uncompressSync } from 'lz4-napi';
import { FrameError } from '../errors.js';

/** Default size above which a payload or a bus frame body is lz4-compressed: below it, compressing costs more than it saves. */
export const DEFAULT_COMPRESS_ABOVE = 1024;

/** No decoded payload may claim to be larger than this (a corrupt lz4 size prefix must not allocate gigabytes). */
export const MAX_DECODED_BYTES = 1 << 30;

/**
 * `bytes` lz4-compressed, when it is longer than `above` and compression makes it smaller;
 * otherwise undefined (send `bytes` as they are).
 */
export function compressIfSmaller(bytes: Uint8Array, above: number): Buffer | undefined {
  if (bytes.length <= above) return undefined;
  const packed = compressSync(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  return packed.length < bytes.length ? packed : undefined;
}

/**
 * lz4 makes at most 255 bytes of one (a match whose length goes on in 0xff bytes), so a size prefix
 * claiming more than 255 times the block is a lie: lz4-napi would allocate (and zero) that much
 * before finding out, a second per gigabyte.
 */
export const LZ4_MAX_EXPANSION = 255;

/**
 * The bytes of an lz4 body as `compressIfSmaller` writes it (a u32 little-endian size prefix, then
 * the lz4 block). The prefix is checked before anything is allocated: against `expectedBytes` when
 * the caller knows the size (a bus frame's header says it), against what the block could expand
 * to, and against MAX_DECODED_BYTES. Every fault is a FrameError that starts with `what`.
 */
export function decompress(bytes: Uint8Array, what = 'lz4 payload', expectedBytes?: number): Buffer {
  if (bytes.length < 4) throw new FrameError(`${what} of ${bytes.length} bytes has no size prefix`);
  const size = (bytes[0]! | (bytes[1]! << 8) | (bytes[2]! << 16) | (bytes[3]! << 24)) >>> 0;
  if (size > MAX_DECODED_BYTES) throw new FrameError(`${what} claims ${size} decoded bytes (limit ${MAX_DECODED_BYTES})`);
  if (expectedBytes !== undefined && size !== expectedBytes) throw new FrameError(`${what} claims ${size} decoded bytes, its header says ${expectedBytes}`);
  if (size > (bytes.length - 4) * LZ4_MAX_EXPANSION) {
    throw new FrameError(`${what} claims ${size} decoded bytes, more than its ${bytes.length - 4}-byte lz4 block can hold (${LZ4_MAX_EXPANSION}x)`);
  }
  let out: Buffer;
  try {
    out = uncompressSync(bytes);
  } catch (err) {
    throw new FrameError(`${what} is corrupt: ${(err as Error).message}`);
  }
  if (out.length !== size) throw new FrameError(`${what} decoded to ${out.length} bytes, its prefix says ${size}`);
  return out;
}
