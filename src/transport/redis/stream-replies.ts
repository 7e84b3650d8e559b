import type { Cluster, Redis } from 'ioredis';

/** Calls `bump` whenever a connection to Redis closes (each node's, for a Cluster). */
export function onConnectionClose(redis: Redis | Cluster, bump: () => void): void {
  redis.on('close', bump);
  if (redis.isCluster) redis.on('+node', (node: Redis) => node.on('close', bump));
}

/** A stream entry: its id and its fields (name, value, name, value...), null once trimmed. */
export type Entry = [Buffer, Buffer[] | null];

/** The entries of a one-stream XREADGROUP reply, in RESP2 ([[key, entries]]) or RESP3 ([key, entries]) shape. */
export function streamEntries(reply: unknown): Entry[] {
  if (!Array.isArray(reply) || reply.length === 0) return [];
  const first = reply[0] as unknown;
  const entries = Array.isArray(first) ? (first as unknown[])[1] : reply[1];
  return Array.isArray(entries) ? (entries as Entry[]) : [];
}

export function fieldValue(fields: Buffer[], name: string): Buffer | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i]!.toString() === name) return fields[i + 1];
  return undefined;
}

/** The consumers of an XINFO CONSUMERS reply, by name, with their pending counts (RESP2 flat pairs or RESP3 maps). */
export function consumersOf(reply: unknown): Array<{ name: string; pending: number }> {
  if (!Array.isArray(reply)) return [];
  return reply.map((c: unknown) => {
    const fields = new Map<string, unknown>();
    if (Array.isArray(c)) for (let i = 0; i + 1 < c.length; i += 2) fields.set(String(c[i]), c[i + 1]);
    else if (c instanceof Map) for (const [k, v] of c) fields.set(String(k), v);
    return { name: String(fields.get('name')), pending: Number(fields.get('pending')) };
  });
}
