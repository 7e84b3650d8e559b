import { readHeader, emptyHeader, Encoding } from '../transport/codec/frame.js';
import { PayloadDecoder } from '../transport/codec/payload.js';
import type { Mailbox } from '../transport/ring/mailbox.js';
import { Kind, serializeError, type SerializedError } from '../transport/protocol.js';

/** A message taken out of circulation: it failed its actor `deliveries` times. */
export interface DeadLetter {
  actor: string;
  /** Epoch milliseconds. */
  at: number;
  deliveries: number;
  kind: 'send' | 'ask' | 'publish';
  /** The sender's name ('$host' for the host), or `#id` if it is gone. */
  from: string;
  topic?: string;
  /** The decoded message (records as plain objects); undefined when it could not be decoded. */
  message: unknown;
  /** Why its last delivery failed. */
  reason: SerializedError;
}

/** The head record of a ring, read and released by the host while no worker consumes it. */
export interface TakenRecord {
  kind: number;
  from: number;
  corr: number;
  topic: string | undefined;
  message: unknown;
  decodeError?: SerializedError;
}

const KIND_NAMES: Record<number, DeadLetter['kind']> = { [Kind.Send]: 'send', [Kind.Ask]: 'ask', [Kind.Publish]: 'publish' };

export function kindName(kind: number): DeadLetter['kind'] {
  return KIND_NAMES[kind] ?? 'send';
}

/** Takes the record at the head of the message ring out, decoded as far as it decodes. */
export function takeHeadRecord(mailbox: Mailbox): TakenRecord | undefined {
  let taken: TakenRecord | undefined;
  mailbox.messages.drain((byte, len) => {
    const header = emptyHeader();
    try {
      const h = readHeader(mailbox.dv, byte, len, header);
      const topic = h.topicBytes === 0 ? undefined : Buffer.from(mailbox.block, h.topicByte, h.topicBytes).toString('utf8');
      let message = new PayloadDecoder(mailbox.block).decode(h);
      if (h.encoding === Encoding.Record) message = (message as { toObject(): unknown }).toObject();
      taken = { kind: h.kind, from: h.from, corr: h.corr, topic, message };
    } catch (err) {
      taken = { kind: header.kind, from: header.from, corr: header.corr, topic: undefined, message: undefined, decodeError: serializeError(err) };
    }
  }, 1);
  return taken;
}

/** The most recent dead letters, oldest first; older ones fall off (they are also logged). */
export class DeadLetterQueue {
  private readonly items: DeadLetter[] = [];

  constructor(private readonly limit = 1000) {}

  push(d: DeadLetter): void {
    this.items.push(d);
    if (this.items.length > this.limit) this.items.shift();
  }

  list(): DeadLetter[] {
    return this.items.slice();
  }

}
