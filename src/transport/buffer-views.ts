/** Typed-array views of one buffer, shared by every ring, frame and record read from or written to it. */
export interface BufferViews {
  f64: Float64Array;
  f32: Float32Array;
  i32: Int32Array;
  u32: Uint32Array;
  i16: Int16Array;
  u16: Uint16Array;
  i8: Int8Array;
  u8: Uint8Array;
  dv: DataView;
}

const viewsCache = new WeakMap<ArrayBufferLike, BufferViews>();

/** The views of `buffer`, made once per buffer and thread. */
export function viewsOf(buffer: ArrayBufferLike): BufferViews {
  let v = viewsCache.get(buffer);
  if (v === undefined) {
    const whole = Math.floor(buffer.byteLength / 8) * 8; // 8-byte views need a multiple of 8
    v = {
      f64: new Float64Array(buffer, 0, whole / 8),
      f32: new Float32Array(buffer, 0, whole / 4),
      i32: new Int32Array(buffer, 0, whole / 4),
      u32: new Uint32Array(buffer, 0, whole / 4),
      i16: new Int16Array(buffer, 0, whole / 2),
      u16: new Uint16Array(buffer, 0, whole / 2),
      i8: new Int8Array(buffer),
      u8: new Uint8Array(buffer),
      dv: new DataView(buffer),
    };
    viewsCache.set(buffer, v);
  }
  return v;
}
