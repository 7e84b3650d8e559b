// What the soak's journaled actors wrote: each message handled, as its 4-byte seq.
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface JournalCount {
  /** Distinct seqs handled. */
  unique: number;
  /** Handled more than once (at least once: a message in hand at a crash, or held by a killed host). */
  duplicates: number;
  /** Seqs below `sent` never handled. */
  lost: number;
}

export function countJournal(dir: string, file: string, sent: number): JournalCount {
  let bytes: Buffer;
  try {
    bytes = readFileSync(join(dir, file));
  } catch {
    bytes = Buffer.alloc(0);
  }
  const seen = new Uint8Array(sent);
  let unique = 0;
  let total = 0;
  for (let i = 0; i + 4 <= bytes.length; i += 4) {
    const seq = bytes.readUInt32LE(i);
    total++;
    if (seq < sent && seen[seq] === 0) {
      seen[seq] = 1;
      unique++;
    }
  }
  return { unique, duplicates: total - unique, lost: sent - unique };
}

/** Entries (messages) in a journal so far: it grows while its actor handles messages. */
export function journalLength(dir: string, file: string, wordBytes = 4): number {
  try {
    return Math.floor(statSync(join(dir, file)).size / wordBytes);
  } catch {
    return 0;
  }
}

/** The seq a journal holds last (the most recent message its actor handled); undefined while empty. */
export function lastSeq(dir: string, file: string): number | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(join(dir, file), 'r');
    const size = statSync(join(dir, file)).size & ~3;
    if (size === 0) return undefined;
    const word = Buffer.alloc(4);
    readSync(fd, word, 0, 4, size - 4);
    return word.readUInt32LE(0);
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
