import { pino, type Logger } from 'pino';

/** JSON lines on stderr, or the same through pino-pretty (in pino's transport thread) for people. */
export function defaultLogger(format: 'json' | 'pretty'): Logger {
  const level = process.env.DUALBUS_LOG_LEVEL ?? 'info';
  if (format === 'pretty') return pino({ name: 'dualbus', level }, pino.transport({ target: 'pino-pretty', options: { destination: 2, singleLine: true, ignore: 'pid,hostname' } }));
  return pino({ name: 'dualbus', level }, pino.destination(2));
}
