import { defineRecord } from 'dualbus';

/** One trade print: the demo's market-data record, written into rings field by field. */
export const Tick = defineRecord({ px: 'f64', qty: 'f64', ts: 'f64', sym: 'u32', side: 'i8' }, { name: 'demo-tick' });

export const SYMBOLS = ['AAPL', 'MSFT', 'NVDA', 'AMZN', 'META', 'TSLA', 'GOOG', 'JPM'];
