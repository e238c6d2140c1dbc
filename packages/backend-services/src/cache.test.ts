import { mockServices } from '@backstage/backend-test-utils';
import { CacheService } from '@backstage/backend-plugin-api';
import { applyCacheAvailability, withCacheTimeouts } from './cache';

describe('applyCacheAvailability', () => {
  const redis = (connection: unknown) => ({
    backend: { baseUrl: 'x', cache: { store: 'redis', connection } },
  });

  it('drops a Redis cache without a URL (REDIS_URL unset): memory', () => {
    const { data, inMemory } = applyCacheAvailability(
      redis({ disableOfflineQueue: true }) as any,
    );
    expect(inMemory).toBe(true);
    expect(data).toEqual({ backend: { baseUrl: 'x' } });
  });

  it('keeps a Redis cache with a URL, and other stores', () => {
    const withUrl = redis({ url: 'redis://10.0.0.3:6379' }) as any;
    expect(applyCacheAvailability(withUrl)).toEqual({
      data: withUrl,
      inMemory: false,
    });
    const plain = redis('redis://10.0.0.3:6379') as any;
    expect(applyCacheAvailability(plain).data).toBe(plain);
    const memory = { backend: { cache: { store: 'memory' } } };
    expect(applyCacheAvailability(memory).data).toBe(memory);
  });
});

describe('withCacheTimeouts', () => {
  const never = () => new Promise<never>(() => {});
  const broken: CacheService = {
    get: never,
    set: never,
    delete: () => Promise.reject(new Error('ECONNREFUSED')),
    withOptions: () => broken,
  };

  it('turns a read that does not answer into a miss and gives up writes, within the bound', async () => {
    const logger = mockServices.logger.mock();
    const cache = withCacheTimeouts(broken, { timeoutMs: 100, logger });
    const started = Date.now();
    expect(await cache.get('k')).toBeUndefined();
    await expect(cache.set('k', 1)).resolves.toBeUndefined();
    await expect(cache.delete('k')).resolves.toBeUndefined();
    await expect(cache.withOptions({}).get('k')).resolves.toBeUndefined();
    expect(Date.now() - started).toBeLessThan(1_000);
    // One warning for the outage, not one per call.
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect((logger.warn as jest.Mock).mock.calls[0][0]).toMatch(
      /^Cache read failed \(no answer within 100 ms\); going on without the cache/,
    );
  });

  it('passes answers through', async () => {
    const store = new Map<string, any>();
    const inner: CacheService = {
      get: async k => store.get(k),
      set: async (k, v) => void store.set(k, v),
      delete: async k => void store.delete(k),
      withOptions: () => inner,
    };
    const cache = withCacheTimeouts(inner, {
      timeoutMs: 100,
      logger: mockServices.logger.mock(),
    });
    await cache.set('k', { a: 1 });
    expect(await cache.get('k')).toEqual({ a: 1 });
    await cache.delete('k');
    expect(await cache.get('k')).toBeUndefined();
  });
});
