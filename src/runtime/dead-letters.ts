import { readHeader, emptyHeader, Encoding, frameTopic } from '../transport/codec/frame.js';
import { PayloadDecoder } from '../transport/codec/payload.js';
import type { Endpoint } from '../transport/endpoint/endpoint.js';
import { DualbusError } from '../transport/errors.js';
import type { Mailbox } from '../transport/ring/mailbox.js';
import { Kind, serializeError, type SerializedError } from '../transport/protocol.js';
import type { ActorCell, CellExit } from './actor-cell.js';
import type { LifecycleLog } from './lifecycle-log.js';

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

/** Takes the record at the head of the message ring out, decoded as far as it decodes. */
export function takeHeadRecord(mailbox: Mailbox): TakenRecord | undefined {
  let taken: TakenRecord | undefined;
  mailbox.messages.drain((byte, len) => {
    const header = emptyHeader();
    try {
      const h = readHeader(mailbox.dv, byte, len, header);
      const topic = h.topicBytes === 0 ? undefined : frameTopic(mailbox.block, h);
      let message = new PayloadDecoder(mailbox.block).decode(h);
      if (h.encoding === Encoding.Record) message = (message as { toObject(): unknown }).toObject();
      taken = { kind: h.kind, from: h.from, corr: h.corr, topic, message };
    } catch (err) {
      taken = { kind: header.kind, from: header.from, corr: header.corr, topic: undefined, message: undefined, decodeError: serializeError(err) };
    }
  }, 1);
  return taken;
}

/**
 * The dead-letter queue: messages that failed their actor maxDeliveries times, taken out of
 * circulation, logged, their askers answered; the most recent are kept (older ones are logged).
 */
export class DeadLetters {
  private readonly items: DeadLetter[] = [];

  constructor(
    private readonly host: Endpoint,
    private readonly log: LifecycleLog,
    private readonly emit: (letter: DeadLetter) => void,
    private readonly limit = 1000,
  ) {}

  /** The message `exit` took out of `cell`'s mailbox. */
  take(cell: ActorCell, exit: CellExit): void {
    const { record, deliveries } = exit.deadLetter!;
    const letter: DeadLetter = {
      actor: cell.name,
      at: Date.now(),
      deliveries,
      kind: KIND_NAMES[record.kind] ?? 'send',
      from: this.host.peerById(record.from)?.name ?? `#${record.from}`,
      ...(record.topic !== undefined ? { topic: record.topic } : {}),
      message: record.message,
      reason: exit.error !== undefined ? { ...exit.error, message: exit.reason } : { name: 'Error', message: exit.reason },
    };
    this.items.push(letter);
    if (this.items.length > this.limit) this.items.shift();
    this.log.write({
      actor: cell.name,
      path: cell.path,
      event: 'dead-letter',
      reason: letter.reason,
      deliveries,
      kind: letter.kind,
      from: letter.from,
      ...(letter.topic !== undefined ? { topic: letter.topic } : {}),
      ...(record.decodeError !== undefined ? { decodeError: record.decodeError } : {}),
    });
    if (record.kind === Kind.Ask) {
      // The asker turns this code back into ActorCrashed, with this message as the reason.
      this.host.replyError(record.from, record.corr, new DualbusError('ActorCrashed', `its message was dead-lettered after ${deliveries} failed deliveries: ${exit.reason}`));
    }
    this.emit(letter);
  }

  /** Oldest first. */
  list(): DeadLetter[] {
    return this.items.slice();
  }
}
