// The desk's command line: `npm start -- [options]`. A wrong option stops with a message that
// names it and the usage, before anything starts.
import { ENGINES, type EngineName } from './tree.js';

export interface DeskArgs {
  seconds: number;
  forever: boolean;
  /** Synthetic ticks per second (the generator's base rate; bursts go above it). */
  rate: number;
  seed: number;
  /** A trades CSV to replay instead of the synthetic market. */
  trades: string | undefined;
  onBadLine: 'skip' | 'stop';
  /** The gateway's port (0: any free port); false: no gateway. */
  port: number | false;
  /** The engine killed halfway through (a drill); false: none. */
  drill: EngineName | false;
  /** Where to write the run's figures as JSON. */
  json: string | undefined;
}

export const USAGE = `usage: npm start -- [--seconds N | --forever] [--rate TICKS_PER_S] [--seed N]
                    [--trades FILE.csv [--on-bad-line skip|stop]] [--port N | --no-gateway]
                    [--drill ENGINE | --no-drill] [--json FILE]`;

export class ArgsError extends Error {
  readonly code = 'ArgsError';
}

const DEFAULTS: DeskArgs = Object.freeze({ seconds: 30, forever: false, rate: 5_000, seed: 7, trades: undefined, onBadLine: 'skip', port: 8080, drill: 'risk', json: undefined });

export function parseArgs(argv: readonly string[]): DeskArgs {
  const a: DeskArgs = { ...DEFAULTS };
  for (let i = 0; i < argv.length; i++) {
    const opt = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new ArgsError(`${opt} needs a value\n${USAGE}`);
      return v;
    };
    const number = (min: number): number => {
      const v = value();
      const n = Number(v);
      if (!Number.isFinite(n) || n < min) throw new ArgsError(`${opt} expects a number >= ${min}; got '${v}'\n${USAGE}`);
      return n;
    };
    if (opt === '--seconds') a.seconds = number(1);
    else if (opt === '--forever') a.forever = true;
    else if (opt === '--rate') a.rate = number(1);
    else if (opt === '--seed') a.seed = number(0);
    else if (opt === '--trades') a.trades = value();
    else if (opt === '--on-bad-line') {
      const v = value();
      if (v !== 'skip' && v !== 'stop') throw new ArgsError(`--on-bad-line expects skip or stop; got '${v}'\n${USAGE}`);
      a.onBadLine = v;
    } else if (opt === '--port') a.port = number(0);
    else if (opt === '--no-gateway') a.port = false;
    else if (opt === '--drill') {
      const v = value();
      if (!(ENGINES as readonly string[]).includes(v)) throw new ArgsError(`--drill expects one of ${ENGINES.join(', ')}; got '${v}'\n${USAGE}`);
      a.drill = v as EngineName;
    } else if (opt === '--no-drill') a.drill = false;
    else if (opt === '--json') a.json = value();
    else throw new ArgsError(`unknown option '${opt}'\n${USAGE}`);
  }
  return a;
}
