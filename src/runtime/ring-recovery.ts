import type { Mailbox } from '../transport/ring/mailbox.js';
import { takeHeadRecord, type TakenRecord } from './dead-letters.js';

/** What became of the message an incarnation ended with in hand. */
export interface RecoveredRings {
  /** It is delivered again to the next incarnation. */
  redelivered: boolean;
  /** ... unless it has now failed maxDeliveries times: then it is taken out, here. */
  deadLetter: { record: TakenRecord; deliveries: number } | undefined;
}

/**
 * Takes the consumer's place while no worker runs (see Mailbox.recoverConsumers) and finds the
 * message the last incarnation ended with. When the failure is held against that message
 * (`blame`) it counts a failed delivery; at maxDeliveries it is taken out as a dead letter.
 */
export function recoverRings(mailbox: Mailbox, blame: boolean, maxDeliveries: number): RecoveredRings {
  const inHand = mailbox.recoverConsumers();
  if (!inHand) {
    if (blame) mailbox.setPoison(0, 0);
    return { redelivered: false, deadLetter: undefined };
  }
  if (!blame) return { redelivered: true, deadLetter: undefined };
  const position = mailbox.messages.readPosition();
  const deliveries = mailbox.failedDeliveries(position);
  if (deliveries < maxDeliveries) {
    mailbox.setPoison(position, deliveries);
    return { redelivered: true, deadLetter: undefined };
  }
  mailbox.setPoison(0, 0);
  const record = takeHeadRecord(mailbox);
  return { redelivered: false, deadLetter: record === undefined ? undefined : { record, deliveries } };
}
