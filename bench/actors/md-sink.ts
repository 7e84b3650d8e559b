// The market-data end of the cross-host bench: counts publishes on bench.md.*, reports when all came.
import { defineActor } from 'dualbus';
import sink from './sink.js';

export default defineActor({ ...sink, subscribe: ['bench.md.*'] });
