import { defineRecord } from 'dualbus';

/** The crash-drill stream's message: which producer, and its sequence number. */
export const Seq = defineRecord({ producer: 'u32', seq: 'u32' }, { name: 'chain-seq' });
