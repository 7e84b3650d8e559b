// Which engines each host of `npm run demo:hosts` runs: market data and the signal and model
// engines on host-a, trading and reporting on host-b.
import type { EngineName } from './tree.js';

export const HOSTS: Record<string, readonly EngineName[]> = {
  'host-a': ['market-data', 'vpin', 'enhanced-vpin', 'factor', 'features', 'ml'],
  'host-b': ['portfolio', 'collateral', 'risk', 'strategy', 'analytics', 'backtesting', 'websocket'],
};
