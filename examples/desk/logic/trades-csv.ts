// A user's trades file (CSV) into ticks for the market-data engine's replay. Bad lines are reported
// with their line number and what is wrong, never silently dropped or turned into NaN prices.
import type { TickValues } from '../contract.js';

export interface TradesCsvOptions {
  /** 'skip': report bad lines in `errors` and go on; 'stop': throw TradesFileError at the first. */
  onError?: 'skip' | 'stop';
  /** The name used in error messages. */
  fileName?: string;
}

export interface TradesCsvError {
  /** 1-based, counting the header and blank lines. */
  line: number;
  message: string;
}

export interface TradesCsv {
  /** In order of first appearance; Tick.sym is the index here. */
  symbols: string[];
  /** Sorted by time (stable: equal times keep the file's order). */
  ticks: TickValues[];
  errors: TradesCsvError[];
}

export class TradesFileError extends Error {
  readonly code = 'TradesFileError';
  constructor(readonly fileName: string, readonly line: number, readonly detail: string) {
    super(`${fileName} line ${line}: ${detail}`);
    this.name = 'TradesFileError';
  }
}

type Column = 'time' | 'symbol' | 'price' | 'volume' | 'side' | 'bid' | 'ask';
const REQUIRED: readonly Column[] = ['time', 'symbol', 'price', 'volume'];
/** Header names accepted for each column, lower case. */
const ALIASES: Record<Column, readonly string[]> = {
  time: ['time', 'timestamp', 'ts'],
  symbol: ['symbol', 'sym', 'ticker'],
  price: ['price', 'px'],
  volume: ['volume', 'qty', 'size', 'quantity'],
  side: ['side'],
  bid: ['bid'],
  ask: ['ask'],
};
/** Below this a number is epoch seconds (1e11 s is the year 5138; 1e11 ms is 1973). */
const SECONDS_BELOW = 1e11;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/** A line that is wrong, with what is wrong (the parser adds the line number). */
class BadLine extends Error {}

/**
 * Line-at-a-time parser (the streaming form): `push` each line, then `finish()`. parseTradesCsv
 * is this over a whole text.
 */
export class TradesCsvParser {
  private readonly onError: 'skip' | 'stop';
  private readonly fileName: string;
  private columns: Map<Column, number> | undefined;
  private width = 0;
  private lineNo = 0;
  private readonly symbolIndex = new Map<string, number>();
  readonly symbols: string[] = [];
  readonly ticks: TickValues[] = [];
  readonly errors: TradesCsvError[] = [];

  constructor(options: TradesCsvOptions = {}) {
    this.onError = options.onError ?? 'stop';
    this.fileName = options.fileName ?? 'trades.csv';
  }

  push(rawLine: string): void {
    this.lineNo++;
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    if (line.trim() === '') return;
    if (this.columns === undefined) {
      this.readHeader(line);
      return;
    }
    try {
      this.ticks.push(this.readRow(splitCsvLine(line)));
    } catch (err) {
      if (!(err instanceof BadLine)) throw err;
      if (this.onError === 'stop') throw new TradesFileError(this.fileName, this.lineNo, err.message);
      this.errors.push({ line: this.lineNo, message: err.message });
    }
  }

  finish(): TradesCsv {
    if (this.columns === undefined) throw new TradesFileError(this.fileName, Math.max(1, this.lineNo), 'no header row (time, symbol, price, volume)');
    // Stable sort: replays and VPIN need time order; files interleave symbols a little out of order.
    const ticks = this.ticks.map((t, i) => ({ t, i })).sort((a, b) => a.t.ts - b.t.ts || a.i - b.i).map((e) => e.t);
    return { symbols: this.symbols, ticks, errors: this.errors };
  }

  /** A missing header is fatal in both modes: without it no line can be read. */
  private readHeader(line: string): void {
    const names = splitCsvLine(line).map((n) => n.trim().toLowerCase());
    const columns = new Map<Column, number>();
    for (const [column, aliases] of Object.entries(ALIASES) as [Column, readonly string[]][]) {
      const at = names.findIndex((n) => aliases.includes(n));
      if (at >= 0) columns.set(column, at);
    }
    const missing = REQUIRED.filter((c) => !columns.has(c));
    if (missing.length > 0) {
      throw new TradesFileError(this.fileName, this.lineNo, `header row '${line}' lacks column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (required: time, symbol, price, volume; optional: side, bid, ask)`);
    }
    this.columns = columns;
    this.width = names.length;
  }

  private readRow(fields: string[]): TickValues {
    if (fields.length !== this.width) throw new BadLine(`expected ${this.width} columns, got ${fields.length}`);
    const field = (c: Column) => fields[this.columns!.get(c)!].trim();
    const ts = parseTime(field('time'));
    const symbol = field('symbol');
    if (symbol === '') throw new BadLine('symbol is empty');
    const px = positive('price', field('price'));
    const qty = positive('volume', field('volume'));
    const side = this.columns!.has('side') ? parseSide(field('side')) : 0;
    const bid = this.columns!.has('bid') && field('bid') !== '' ? positive('bid', field('bid')) : px;
    const ask = this.columns!.has('ask') && field('ask') !== '' ? positive('ask', field('ask')) : px;
    if (bid > ask) throw new BadLine(`bid '${field('bid')}' is above ask '${field('ask')}'`);
    return { ts, px, qty, bid, ask, sym: this.indexOf(symbol), side };
  }

  private indexOf(symbol: string): number {
    let i = this.symbolIndex.get(symbol);
    if (i === undefined) {
      if (this.symbols.length >= 65_535) throw new BadLine(`symbol '${symbol}' is one too many (Tick.sym is a u16)`);
      i = this.symbols.push(symbol) - 1;
      this.symbolIndex.set(symbol, i);
    }
    return i;
  }
}

/** Parses a whole file. With 'stop' (the default) throws TradesFileError at the first bad line. */
export function parseTradesCsv(text: string, options: TradesCsvOptions = {}): TradesCsv {
  const parser = new TradesCsvParser(options);
  for (const line of text.split('\n')) parser.push(line);
  return parser.finish();
}

function positive(column: string, text: string): number {
  if (text === '') throw new BadLine(`${column} is empty`);
  const v = Number(text);
  if (!Number.isFinite(v)) throw new BadLine(`${column} '${text}' is not a number`);
  if (!(v > 0)) throw new BadLine(`${column} '${text}' is not positive`);
  return v;
}

/**
 * Epoch ms, epoch seconds (with decimals; any number below 1e11 is read as seconds), or ISO-8601.
 * An ISO time without an offset is read as UTC (Date.parse would take it as local time, so the same
 * file would replay differently on another machine).
 */
export function parseTime(text: string): number {
  if (text === '') throw new BadLine('time is empty');
  const n = Number(text);
  if (Number.isFinite(n)) {
    if (n <= 0) throw new BadLine(`time '${text}' is not positive`);
    return n < SECONDS_BELOW ? Math.round(n * 1e6) / 1e3 : n; // seconds -> ms, kept to the microsecond
  }
  const iso = ISO_DATE.exec(text);
  if (iso !== null) {
    const utc = iso[1] !== undefined && iso[4] === undefined ? `${text.replace(' ', 'T')}Z` : text.replace(' ', 'T');
    const ms = Date.parse(utc);
    if (Number.isFinite(ms)) return ms;
  }
  throw new BadLine(`time '${text}' is not epoch ms, epoch seconds or ISO-8601`);
}

function parseSide(text: string): number {
  switch (text.toLowerCase()) {
    case 'b': case 'buy': case '1': case '+1': return 1;
    case 's': case 'sell': case '-1': return -1;
    case '': case '0': case 'u': case 'unknown': return 0;
    default: throw new BadLine(`side '${text}' is not buy, sell or empty`);
  }
}

/** Splits one CSV line on commas; double-quoted fields may hold commas, and "" inside them is a quote. */
export function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c === '"') {
      quoted = true;
    } else if (c === ',') {
      out.push(field);
      field = '';
    } else {
      field += c;
    }
  }
  out.push(field);
  return out;
}
