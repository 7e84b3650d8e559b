// host-b: the engine-logic messages the feeder sends across the bus.
import { journaled } from './journaled.js';
export default journaled('ledger.bin');
