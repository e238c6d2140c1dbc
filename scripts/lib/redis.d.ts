// Types for redis.js (used from TypeScript tests).
export interface RedisServer {
  /** redis://127.0.0.1:<port> */
  url: string;
  port: number;
  /** Kills it (as an outage would). */
  stop(): Promise<void>;
  /** Kills it and starts it again, empty, on the same port. */
  restart(): Promise<void>;
}
export function startRedis(options?: { port?: number }): Promise<RedisServer>;
/** Where redis-server is, or undefined when it is not installed. */
export function redisServerPath(): string | undefined;
