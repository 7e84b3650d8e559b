import { viewsOf, type BufferViews } from '../buffer-views.js';
import { FrameError, InvalidOption, InvalidRecord } from '../errors.js';

/**
 * Binary records: a fixed layout declared once, written field by field straight into a ring and
 * read in place by the receiver through a reusable view, with no object allocated per message.
 *
 * Fields are laid out largest first, so every field is naturally aligned and is read with a typed
 * array index. A record payload is `u32 layout id | u32 zero | fields...` (8-aligned).
 */
export type FieldType = 'f64' | 'f32' | 'i32' | 'u32' | 'i16' | 'u16' | 'i8' | 'u8' | 'bool';
export type RecordFields = Record<string, FieldType>;
export type RecordValues<F extends RecordFields> = { [K in keyof F]: F[K] extends 'bool' ? boolean : number };

/** A record read in place. Valid only while the handler that got it runs (until its first await). */
export type RecordView<F extends RecordFields> = Readonly<RecordValues<F>> & {
  readonly $record: RecordType<F>;
  /** Copies the fields into a plain object you may keep. */
  toObject(): RecordValues<F>;
};

/** The view type of a record type: `ViewOf<typeof Tick>` in a message union. */
export type ViewOf<R> = R extends RecordType<infer F> ? RecordView<F> : never;

export const RECORD_PREFIX_BYTES = 8;

const FIELD_BYTES: Record<FieldType, number> = { f64: 8, f32: 4, i32: 4, u32: 4, i16: 2, u16: 2, i8: 1, u8: 1, bool: 1 };
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

interface FieldSpec {
  name: string;
  type: FieldType;
  offset: number; // from the start of the fields (after the 8-byte prefix)
}

type FieldWriter = (v: BufferViews, byte: number, value: number | boolean) => void;

export interface RecordType<F extends RecordFields = RecordFields> {
  readonly id: number;
  readonly name: string;
  readonly fields: readonly FieldSpec[];
  /** Bytes of the payload: the 8-byte prefix and the fields. */
  readonly payloadBytes: number;
  /** Writes the prefix and every field of `values` at `byte` (8-aligned) of the buffer behind `views`. */
  write(views: BufferViews, byte: number, values: RecordValues<F>): void;
  /** A reusable view for records in `buffer`; `at` points it at one record's payload. */
  reader(buffer: ArrayBufferLike): RecordReader<F>;
  is(msg: unknown): msg is RecordView<F>;
}

export interface RecordReader<F extends RecordFields> {
  readonly view: RecordView<F>;
  at(payloadByte: number): RecordView<F>;
}

const registry = new Map<number, RecordType>();

/** The record type registered (in this thread) under `id`, or a FrameError naming the id. */
export function recordTypeById(id: number): RecordType {
  const t = registry.get(id);
  if (t === undefined) {
    throw new FrameError(`unknown record layout id 0x${id.toString(16)}: the receiver must call defineRecord with the same fields`);
  }
  return t;
}

/**
 * Declares a binary record layout. Sender and receiver each call it with the same fields (and
 * name), usually by importing one shared module; the layout id is a hash of both.
 */
export function defineRecord<F extends RecordFields>(fields: F, options: { name?: string } = {}): RecordType<F> {
  const entries = Object.entries(fields ?? {});
  if (entries.length === 0) throw new InvalidOption('defineRecord fields', 'an object with at least one field', fields);
  for (const [name, type] of entries) {
    if (!IDENTIFIER.test(name) || name === 'toObject' || name.startsWith('$')) {
      throw new InvalidOption(`defineRecord field '${name}'`, 'an identifier, not toObject nor starting with $', name);
    }
    if (!(type in FIELD_BYTES)) throw new InvalidOption(`defineRecord field '${name}'`, `one of ${Object.keys(FIELD_BYTES).join(', ')}`, type);
  }
  const name = options.name ?? 'record';
  const signature = `${name}|${entries.map(([n, t]) => `${n}:${t}`).join(',')}`;
  const id = fnv1a(signature);
  const existing = registry.get(id);
  if (existing !== undefined) return existing as unknown as RecordType<F>;

  // Largest fields first: every offset is then a multiple of its field's size.
  const sorted = entries.map(([n, t], i) => ({ n, t, i })).sort((a, b) => FIELD_BYTES[b.t] - FIELD_BYTES[a.t] || a.i - b.i);
  let offset = 0;
  const specs: FieldSpec[] = sorted.map(({ n, t }) => {
    const spec = { name: n, type: t, offset };
    offset += FIELD_BYTES[t];
    return spec;
  });
  const payloadBytes = RECORD_PREFIX_BYTES + ((offset + 7) & ~7);
  const writers = specs.map((s) => fieldWriter(s));
  const names = specs.map((s) => s.name);

  let type: RecordType<F>;
  const ViewClass = makeViewClass<F>(specs, () => type);
  type = {
    id,
    name,
    fields: specs,
    payloadBytes,
    write(views, byte, values) {
      views.u32[byte >> 2] = id;
      views.u32[(byte >> 2) + 1] = 0;
      const base = byte + RECORD_PREFIX_BYTES;
      const v = values as Record<string, number | boolean>;
      for (let i = 0; i < writers.length; i++) writers[i]!(views, base, v[names[i]!]!);
    },
    reader(buffer) {
      const view = new ViewClass(viewsOf(buffer));
      return {
        view: view as unknown as RecordView<F>,
        at(payloadByte: number) {
          view.$b = payloadByte + RECORD_PREFIX_BYTES;
          return view as unknown as RecordView<F>;
        },
      };
    },
    is(msg: unknown): msg is RecordView<F> {
      return msg instanceof ViewClass;
    },
  };
  registry.set(id, type as unknown as RecordType);
  return type;
}

/**
 * Throws InvalidRecord unless `value` (item `index` of a batch) is an object. Checked before a ring
 * is claimed: a write that threw half way would leave a claim nobody publishes.
 */
export function checkRecordValue(type: RecordType, value: unknown, index?: number): void {
  if (typeof value !== 'object' || value === null) throw new InvalidRecord(type.name, index, value);
}

/**
 * The layout id at the start of a record payload. FrameError when the word after it, which every
 * writer sets to 0, is not 0: the payload is not a record of this format.
 */
export function recordIdAt(views: BufferViews, payloadByte: number): number {
  const reserved = views.u32[(payloadByte >> 2) + 1]!;
  if (reserved !== 0) throw new FrameError(`record payload's reserved word is 0x${reserved.toString(16)}, not 0`);
  return views.u32[payloadByte >> 2]!;
}

interface ViewInstance {
  $v: BufferViews;
  $b: number;
}

function makeViewClass<F extends RecordFields>(specs: FieldSpec[], typeOf: () => RecordType<F>) {
  class View implements ViewInstance {
    $b = 0;
    constructor(public $v: BufferViews) {}
    get $record(): RecordType<F> {
      return typeOf();
    }
    toObject(): RecordValues<F> {
      const o: Record<string, number | boolean> = {};
      for (const s of specs) o[s.name] = (this as unknown as Record<string, number | boolean>)[s.name]!;
      return o as RecordValues<F>;
    }
  }
  for (const s of specs) Object.defineProperty(View.prototype, s.name, { get: fieldGetter(s), enumerable: true });
  return View;
}

function fieldGetter(s: FieldSpec): (this: ViewInstance) => number | boolean {
  const o = s.offset;
  switch (s.type) {
    case 'f64': return function () { return this.$v.f64[(this.$b + o) >> 3]!; };
    case 'f32': return function () { return this.$v.f32[(this.$b + o) >> 2]!; };
    case 'i32': return function () { return this.$v.i32[(this.$b + o) >> 2]!; };
    case 'u32': return function () { return this.$v.u32[(this.$b + o) >> 2]!; };
    case 'i16': return function () { return this.$v.i16[(this.$b + o) >> 1]!; };
    case 'u16': return function () { return this.$v.u16[(this.$b + o) >> 1]!; };
    case 'i8': return function () { return this.$v.i8[this.$b + o]!; };
    case 'u8': return function () { return this.$v.u8[this.$b + o]!; };
    case 'bool': return function () { return this.$v.u8[this.$b + o] !== 0; };
  }
}

function fieldWriter(s: FieldSpec): FieldWriter {
  const o = s.offset;
  switch (s.type) {
    case 'f64': return (v, b, x) => { v.f64[(b + o) >> 3] = x as number; };
    case 'f32': return (v, b, x) => { v.f32[(b + o) >> 2] = x as number; };
    case 'i32': return (v, b, x) => { v.i32[(b + o) >> 2] = x as number; };
    case 'u32': return (v, b, x) => { v.u32[(b + o) >> 2] = x as number; };
    case 'i16': return (v, b, x) => { v.i16[(b + o) >> 1] = x as number; };
    case 'u16': return (v, b, x) => { v.u16[(b + o) >> 1] = x as number; };
    case 'i8': return (v, b, x) => { v.i8[b + o] = x as number; };
    case 'u8': return (v, b, x) => { v.u8[b + o] = x as number; };
    case 'bool': return (v, b, x) => { v.u8[b + o] = x ? 1 : 0; };
  }
}

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
