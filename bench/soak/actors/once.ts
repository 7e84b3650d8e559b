// A fault message acts once: the first delivery leaves a marker file, a redelivery (after the
// restart it caused) finds it and passes. The marker outlives the worker, which a restart may replace.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function firstDelivery(id: string): boolean {
  const marker = join(process.env.SOAK_DIR!, `fault-${id}`);
  if (existsSync(marker)) return false;
  writeFileSync(marker, '');
  return true;
}
