/*
 * The cache: Redis (Memorystore) when REDIS_URL is set, memory otherwise.
 *
 * Redis clients are made here, not by Backstage's CacheManager: the client
 * that @keyv/redis 4 creates has no 'error' listener, so a dropped
 * connection (a Memorystore failover, maintenance) is an uncaught exception
 * that ends the process. Ours listen, share one connection, and every
 * operation is bounded: a read that takes longer than `portal.cache.timeout`
 * (default 500 ms) or fails is a miss, a write or delete is given up.
 * Requests go on without the cache while Redis is away and use it again once
 * it is back.
 */
import {
  CacheService,
  CacheServiceOptions,
  CacheServiceSetOptions,
  coreServices,
  createServiceFactory,
  LoggerService,
} from '@backstage/backend-plugin-api';
import { CacheManager } from '@backstage/backend-defaults/cache';
import KeyvRedis, { createClient } from '@keyv/redis';
import { Keyv } from 'keyv';
import { createHash } from 'node:crypto';
import { Config, readDurationFromConfig } from '@backstage/config';
import {
  durationToMilliseconds,
  HumanDuration,
  JsonObject,
  JsonValue,
} from '@backstage/types';

export const DEFAULT_CACHE_TIMEOUT_MS = 500;

/**
 * `backend.cache` with `store: redis` but no connection URL (REDIS_URL
 * unset) is dropped, so the cache is in memory. Returns the data and whether
 * it was dropped.
 */
export function applyCacheAvailability(data: JsonObject): {
  data: JsonObject;
  inMemory: boolean;
} {
  const backend = data.backend as JsonObject | undefined;
  const cache = backend?.cache as JsonObject | undefined;
  if (!backend || !cache || cache.store !== 'redis') {
    return { data, inMemory: false };
  }
  const connection = cache.connection;
  const object = (
    connection && typeof connection === 'object' ? connection : {}
  ) as JsonObject;
  const socket = (object.socket ?? {}) as JsonObject;
  const url = typeof connection === 'string' ? connection : object.url;
  const configured =
    (typeof url === 'string' && url.trim() !== '') ||
    (typeof socket.host === 'string' && socket.host !== '') ||
    typeof socket.path === 'string';
  if (configured) return { data, inMemory: false };
  const { cache: _dropped, ...rest } = backend;
  return { data: { ...data, backend: rest }, inMemory: true };
}

/** Time and failure bounds around a plugin's cache client. */
export function withCacheTimeouts(
  cache: CacheService,
  options: { timeoutMs: number; logger: LoggerService },
  warned: { at: number } = { at: 0 },
): CacheService {
  const { timeoutMs, logger } = options;
  const warn = (what: string, error: unknown) => {
    // At most one line a minute per plugin: an outage is not a log flood.
    if (Date.now() - warned.at < 60_000) return;
    warned.at = Date.now();
    logger.warn(
      `Cache ${what} failed (${
        error instanceof Error ? error.message : String(error)
      }); going on without the cache. Is Redis (REDIS_URL) reachable?`,
    );
  };
  const bounded = async <T>(
    what: string,
    run: () => Promise<T>,
    fallback: T,
  ) => {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        run(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no answer within ${timeoutMs} ms`)),
            timeoutMs,
          );
        }),
      ]);
    } catch (error) {
      warn(what, error);
      return fallback;
    } finally {
      clearTimeout(timer);
    }
  };
  return {
    get: <T extends JsonValue>(key: string) =>
      bounded<T | undefined>('read', () => cache.get<T>(key), undefined),
    set: (key: string, value: JsonValue, opts?: CacheServiceSetOptions) =>
      bounded('write', () => cache.set(key, value, opts), undefined),
    delete: (key: string) =>
      bounded('delete', () => cache.delete(key), undefined),
    withOptions: (opts: CacheServiceOptions) =>
      withCacheTimeouts(cache.withOptions(opts), options, warned),
  };
}

/** A duration setting in milliseconds: a number as is, else a HumanDuration. */
function readMs(config: Config, key: string): number | undefined {
  if (!config.has(key)) return undefined;
  const value = config.get(key);
  if (typeof value === 'number') return value;
  return durationToMilliseconds(readDurationFromConfig(config, { key }));
}

function readTimeoutMs(config: Config) {
  return readMs(config, 'portal.cache.timeout') ?? DEFAULT_CACHE_TIMEOUT_MS;
}

/** Keys as Backstage's cache client makes them: base64, hashed when long. */
function normalizedKey(key: string) {
  const encoded = Buffer.from(key).toString('base64');
  return encoded.length < 200
    ? encoded
    : createHash('sha256').update(key).digest('base64');
}

function ttlMs(ttl: number | HumanDuration | undefined) {
  if (ttl === undefined) return undefined;
  return typeof ttl === 'number' ? ttl : durationToMilliseconds(ttl);
}

/**
 * A plugin's cache over its one Keyv namespace; `withOptions` views share
 * it and only change the default TTL (no new store, no new listeners).
 */
function keyvCache(keyv: Keyv, ttl?: number): CacheService {
  return {
    get: async <T extends JsonValue>(key: string) =>
      (await keyv.get(normalizedKey(key))) as T | undefined,
    set: async (key, value, opts) => {
      await keyv.set(normalizedKey(key), value, ttlMs(opts?.ttl) ?? ttl);
    },
    delete: async key => {
      await keyv.delete(normalizedKey(key));
    },
    withOptions: opts => keyvCache(keyv, ttlMs(opts.defaultTtl) ?? ttl),
  };
}

/**
 * One Redis connection for every plugin (a namespace each), with an error
 * listener, so a lost connection is logged and retried, never fatal.
 */
function redisCaches(config: Config, logger: LoggerService) {
  const raw = config.get<JsonObject | string>('backend.cache.connection');
  const options = typeof raw === 'string' ? { url: raw } : raw;
  const client = createClient(options as any);
  let lastError = 0;
  client.on('error', (error: Error) => {
    if (Date.now() - lastError < 60_000) return;
    lastError = Date.now();
    logger.warn(
      `Redis cache connection: ${error.message}; reconnecting (requests go on without the cache)`,
    );
  });
  client.on('ready', () => {
    if (lastError) logger.info('Redis cache connection is back');
    lastError = 0;
  });
  const defaultTtl = readMs(config, 'backend.cache.defaultTtl');
  return {
    forPlugin(pluginId: string): CacheService {
      // A store per plugin: Keyv gives its store the namespace.
      const keyv = new Keyv({
        store: new KeyvRedis(client as any, {
          keyPrefixSeparator: ':',
          throwOnConnectError: false,
        }),
        namespace: pluginId,
        emitErrors: false,
        useKeyPrefix: false,
      });
      return keyvCache(keyv, defaultTtl);
    },
    async close() {
      // While Redis is away quit() would wait for it: disconnect instead.
      if (client.isReady) {
        await Promise.race([
          client.quit().catch(() => undefined),
          new Promise(r => setTimeout(r, 2_000)),
        ]);
      } else if (client.isOpen) {
        await client.disconnect().catch(() => undefined);
      }
    },
  };
}

/**
 * The cache service: Redis from `backend.cache` (REDIS_URL) through
 * {@link redisCaches}, other stores through Backstage's CacheManager; every
 * operation bounded by {@link withCacheTimeouts}.
 */
export const portalCacheServiceFactory = createServiceFactory({
  service: coreServices.cache,
  deps: {
    config: coreServices.rootConfig,
    rootLogger: coreServices.rootLogger,
    lifecycle: coreServices.rootLifecycle,
    plugin: coreServices.pluginMetadata,
    logger: coreServices.logger,
  },
  async createRootContext({ config, rootLogger, lifecycle }) {
    const store = config.getOptionalString('backend.cache.store') ?? 'memory';
    const timeoutMs = readTimeoutMs(config);
    if (store === 'redis') {
      rootLogger.info('Cache: Redis (REDIS_URL), shared by all instances');
      const caches = redisCaches(config, rootLogger);
      lifecycle.addShutdownHook(() => caches.close());
      return { forPlugin: caches.forPlugin, timeoutMs };
    }
    rootLogger.info(
      `Cache: ${store}, per instance (set REDIS_URL to share it between instances)`,
    );
    const manager = CacheManager.fromConfig(config, { logger: rootLogger });
    return { forPlugin: (id: string) => manager.forPlugin(id), timeoutMs };
  },
  async factory({ plugin, logger }, { forPlugin, timeoutMs }) {
    return withCacheTimeouts(forPlugin(plugin.getId()), { timeoutMs, logger });
  },
});
