import type { Cluster, Redis } from 'ioredis';

/**
 * Market data travels on pub/sub, one channel per destination host. On a Redis Cluster it is
 * sharded pub/sub (SPUBLISH/SSUBSCRIBE, Redis 7): a channel belongs to the shard its name hashes
 * to, and only that shard's master and replicas carry its messages, where a plain PUBLISH would be
 * broadcast over the cluster bus to every node. On a single Redis: plain PUBLISH/SUBSCRIBE (what
 * Redis before 7 has).
 */
/** Publishes a frame on `channel`; resolves to how many subscribers got it. */
export async function publishFrame(redis: Redis | Cluster, channel: string, frame: Buffer): Promise<number> {
  return Number(await (redis.isCluster ? redis.spublish(channel, frame) : redis.publish(channel, frame)));
}

/**
 * Subscribes `redis` (a connection that does nothing else; on a Cluster made with sharded
 * subscribers: see connectRedis) to `channel`; every frame published on it goes to `onFrame`.
 */
export async function subscribeFrames(redis: Redis | Cluster, channel: string, onFrame: (frame: Buffer) => void): Promise<void> {
  if (redis.isCluster) {
    redis.on('smessageBuffer', (_channel: Buffer, frame: Buffer) => onFrame(frame));
    await redis.ssubscribe(channel);
    return;
  }
  redis.on('messageBuffer', (_channel: Buffer, frame: Buffer) => onFrame(frame));
  await redis.subscribe(channel);
}
