// host-a: the feeder's in-host messages.
import { journaled } from './journaled.js';
export default journaled('sink.bin');
