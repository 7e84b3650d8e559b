import { Ring } from '../ring/ring.js';
import { Encoding, frameBytesOf, framePayloadByte, frameTopicByte, writeHeader } from './frame.js';
import { copyBytes } from './copy-bytes.js';
import type { PayloadSource } from './payload-stage.js';
import type { RecordFields, RecordType, RecordValues } from './records.js';

/**
 * One frame to write: its header fields, an optional topic (or the address of an actor on another
 * host), and its payload as encoded bytes or as a record written field by field. Callers keep one
 * spec and refill it: writing allocates nothing.
 */
export interface FrameSpec {
  kind: number;
  corr: number;
  from: number;
  sentAt: number;
  topic: Uint8Array | undefined;
  encoding: number;
  flags: number;
  /** The encoded payload (undefined for a record, for an empty payload, or when it comes from `source`). */
  payload: Uint8Array | undefined;
  /** Or: payload `sourceIndex` of `source`, copied from where it lies. */
  source: PayloadSource | undefined;
  sourceIndex: number;
  /** A record written straight into the ring (encoding Record). */
  record: RecordType<RecordFields> | undefined;
  values: RecordValues<RecordFields> | undefined;
}

export function emptySpec(): FrameSpec {
  return { kind: 0, corr: 0, from: 0, sentAt: 0, topic: undefined, encoding: Encoding.None, flags: 0, payload: undefined, source: undefined, sourceIndex: 0, record: undefined, values: undefined };
}

/** The payload bytes of a spec. */
export function specPayloadBytes(spec: FrameSpec): number {
  if (spec.record !== undefined) return spec.record.payloadBytes;
  if (spec.source !== undefined) return spec.source.payloadBytes(spec.sourceIndex);
  return spec.payload === undefined ? 0 : spec.payload.length;
}

/** The bytes of the frame a spec describes (the ring record around it adds its own header). */
export function specFrameBytes(spec: FrameSpec): number {
  return frameBytesOf(spec.topic === undefined ? 0 : spec.topic.length, specPayloadBytes(spec));
}

/** Writes the frame of `spec` at `frameByte` of the ring's buffer (claimed by the caller). */
export function writeFrameAt(ring: Ring, frameByte: number, spec: FrameSpec): void {
  const topicBytes = spec.topic === undefined ? 0 : spec.topic.length;
  const payloadBytes = specPayloadBytes(spec);
  writeHeader(ring.views.dv, frameByte, spec.kind, spec.flags, spec.encoding, payloadBytes, spec.corr, spec.from, topicBytes, spec.sentAt);
  if (spec.topic !== undefined) copyBytes(spec.topic, 0, ring.u8, frameTopicByte(frameByte), topicBytes);
  const at = framePayloadByte(frameByte, topicBytes);
  if (spec.record !== undefined) spec.record.write(ring.views, at, spec.values!);
  else if (spec.source !== undefined) spec.source.copyPayload(spec.sourceIndex, ring.u8, at);
  else if (payloadBytes > 0) copyBytes(spec.payload!, 0, ring.u8, at, payloadBytes);
}

/**
 * Writes one frame into `ring`: claims, writes, publishes. False when the ring is full (nothing
 * written). The caller has checked that the frame fits (`specFrameBytes <= ring.maxPayload`).
 */
export function writeFrame(ring: Ring, spec: FrameSpec, frameBytes = specFrameBytes(spec)): boolean {
  const at = ring.claim(frameBytes);
  if (at < 0) return false;
  writeFrameAt(ring, at, spec);
  ring.publish(at, frameBytes);
  return true;
}

/**
 * Writes records `values[from..from+count)` of one type as a run of frames with one claim, the rest
 * of each header from `spec`. Returns how many were written: `count`, or 0 when the ring is full.
 * The caller has checked that the run fits (`count * recordBytes(frame) <= ring.maxRun`).
 */
export function writeRecordRun<F extends RecordFields>(
  ring: Ring,
  spec: FrameSpec,
  type: RecordType<F>,
  values: readonly RecordValues<F>[],
  from: number,
  count: number,
): number {
  spec.record = type as unknown as RecordType<RecordFields>;
  spec.encoding = Encoding.Record;
  spec.flags = 0;
  const frameBytes = specFrameBytes(spec);
  const first = ring.claimRun(Ring.runBytes(frameBytes, count), count);
  if (first < 0) return 0;
  let record = first;
  for (let i = 0; i < count; i++) {
    spec.values = values[from + i] as unknown as RecordValues<RecordFields>;
    writeFrameAt(ring, ring.payloadByteOf(record), spec);
    if (i > 0) ring.setLength(record, frameBytes);
    record = ring.nextRecord(record, frameBytes);
  }
  ring.publishRun(first, frameBytes);
  return count;
}

/**
 * Writes payloads `[from, from+count)` of `stage` as a run of `bytes` (the sum of their record
 * bytes) with one claim, the rest of each header from `spec`. Returns `count`, or 0
 * when the ring is full. The caller has checked that `bytes <= ring.maxRun`.
 */
export function writePayloadRun(ring: Ring, spec: FrameSpec, stage: PayloadSource, from: number, count: number, bytes: number): number {
  spec.record = undefined;
  const first = ring.claimRun(bytes, count);
  if (first < 0) return 0;
  let record = first;
  let firstBytes = 0;
  spec.source = stage;
  for (let i = 0; i < count; i++) {
    spec.sourceIndex = from + i;
    spec.encoding = stage.encoding(from + i);
    spec.flags = stage.flags(from + i);
    const frameBytes = specFrameBytes(spec);
    writeFrameAt(ring, ring.payloadByteOf(record), spec);
    if (i === 0) firstBytes = frameBytes;
    else ring.setLength(record, frameBytes);
    record = ring.nextRecord(record, frameBytes);
  }
  ring.publishRun(first, firstBytes);
  spec.source = undefined;
  return count;
}
