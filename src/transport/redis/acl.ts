/**
 * What a host's bridge needs of each Redis, and nothing more: the commands it sends and the keys and
 * channels it touches, as ACL rules (`ACL SETUSER <user> on ><password> <rules>`, or a line of an
 * aclfile: `user <user> on ><password> <rules>`). README lists them; a test runs two hosts as a user
 * with exactly these rules.
 */

/**
 * Commands every connection sends: the ready check (INFO), its name (CLIENT SETNAME), liveness
 * (PING), and on a Redis Cluster the slot map (CLUSTER SLOTS).
 */
const CONNECTION = ['ping', 'info', 'client|setname', 'cluster|slots'];

/** The engine-logic bus: each host's stream and its consumer group, its progress record, the host registry, the dead letters. */
export const ENGINE_LOGIC_COMMANDS: readonly string[] = [
  ...CONNECTION,
  'xadd', 'xreadgroup', 'xack', 'xautoclaim', 'xgroup|create', 'xgroup|delconsumer', 'xinfo|consumers', 'pexpire',
  'hset', 'hgetall', 'del', 'sadd', 'smembers', 'multi', 'exec',
  'wait', // replicaAcks: a frame counts as sent once replicas hold it
];

/** The market-data bus: publishes to, and a subscription on, one channel per host (sharded on a Redis Cluster). */
export const MARKET_DATA_COMMANDS: readonly string[] = [...CONNECTION, 'publish', 'subscribe', 'unsubscribe', 'spublish', 'ssubscribe', 'sunsubscribe'];

/**
 * The ACL rules for a bridge of cluster `cluster` on one of its buses (a single Redis or a Redis
 * Cluster): its commands, its keys (`{<cluster>}:*`: the registry and dead letters;
 * `{<cluster>:el:*`: the streams and their progress records) and its channels (`<cluster>:md:*`).
 */
export function busAclRules(cluster: string, bus: 'engineLogic' | 'marketData'): string {
  const commands = bus === 'engineLogic' ? ENGINE_LOGIC_COMMANDS : MARKET_DATA_COMMANDS;
  const keys = bus === 'engineLogic' ? `~{${cluster}}:* ~{${cluster}:el:*` : 'resetkeys';
  const channels = bus === 'marketData' ? `&${cluster}:md:*` : 'resetchannels';
  return ['nocommands', keys, channels, ...commands.map((c) => `+${c}`)].join(' ');
}
