import { createHash } from 'node:crypto';
import type Redis from 'ioredis';

type ScriptArgument = string | number;

/**
 * A Lua script run with EVALSHA, sent in full (EVAL) only when Redis does not know it yet
 * (first use, or after a Redis restart emptied its script cache). A script runs atomically.
 */
export class LuaScript {
  private readonly sha: string;

  constructor(private readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(
    redis: Redis,
    keys: readonly string[],
    args: readonly ScriptArgument[],
  ): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return redis.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}
