/*
 * The cache in Redis (REDIS_URL in production): two backend instances share
 * entries, and while Redis is away (killed, then restarted empty) requests
 * neither hang nor fail; they go on without the cache and use it again once
 * Redis is back. Real redis-server (Debian's, installed by
 * scripts/system-deps.sh), real Backstage cache service, the portal's
 * bounded wrapper.
 */
import express from 'express';
import request from 'supertest';
import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { portalCacheServiceFactory } from '@internal/backend-services';
// eslint-disable-next-line @backstage/no-relative-monorepo-imports
import {
  redisServerPath,
  RedisServer,
  startRedis,
} from '../../../../scripts/lib/redis';

jest.setTimeout(60_000);

/** A plugin whose HTTP API reads and writes its cache. */
const probe = createBackendPlugin({
  pluginId: 'probe',
  register(env) {
    env.registerInit({
      deps: { cache: coreServices.cache, http: coreServices.httpRouter },
      async init({ cache, http }) {
        const router = express.Router();
        router.use(express.json());
        router.put('/:key', async (req, res) => {
          await cache.set(req.params.key, req.body.value);
          res.json({ ok: true });
        });
        router.get('/:key', async (req, res) => {
          res.json({ value: (await cache.get(req.params.key)) ?? null });
        });
        http.use(router);
        http.addAuthPolicy({ path: '/', allow: 'unauthenticated' });
      },
    });
  },
});

const haveRedis = Boolean(redisServerPath());
if (!haveRedis && !process.env.CI) {
  // eslint-disable-next-line no-console
  console.warn(
    'redis-server is not installed: Redis cache tests skipped (scripts/system-deps.sh installs it)',
  );
}
const describeRedis = haveRedis || process.env.CI ? describe : describe.skip;

describeRedis('the cache in Redis', () => {
  let redis: RedisServer;
  let a: Awaited<ReturnType<typeof startTestBackend>>;
  let b: Awaited<ReturnType<typeof startTestBackend>>;

  const start = () =>
    startTestBackend({
      features: [
        probe,
        portalCacheServiceFactory,
        mockServices.rootConfig.factory({
          data: {
            backend: {
              cache: {
                store: 'redis',
                // As app-config.production.yaml has it, with REDIS_URL.
                connection: {
                  url: redis.url,
                  disableOfflineQueue: true,
                  socket: { connectTimeout: 2000 },
                },
              },
            },
            portal: { cache: { timeout: { milliseconds: 500 } } },
          },
        }),
      ],
    });

  beforeAll(async () => {
    redis = await startRedis();
    a = await start();
    b = await start();
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await redis?.stop();
  });

  const put = (backend: typeof a, key: string, value: unknown) =>
    request(backend.server).put(`/api/probe/${key}`).send({ value });
  const get = async (backend: typeof a, key: string) =>
    (await request(backend.server).get(`/api/probe/${key}`)).body.value;

  it('shares entries between two instances', async () => {
    expect((await put(a, 'greeting', { text: 'hello from a' })).status).toBe(
      200,
    );
    expect(await get(b, 'greeting')).toEqual({ text: 'hello from a' });
    await put(b, 'greeting', 'b was here');
    expect(await get(a, 'greeting')).toBe('b was here');
  });

  it('while Redis is down requests answer within a bound (a miss), and the cache works again after its restart', async () => {
    await put(a, 'before', 1);
    await redis.stop();
    // Down: every request answers, quickly, as if the cache were empty.
    for (const backend of [a, b]) {
      const started = Date.now();
      const written = await put(backend, 'during', 2);
      const read = await get(backend, 'before');
      const elapsed = Date.now() - started;
      expect(written.status).toBe(200);
      expect(read).toBeNull();
      expect(elapsed).toBeLessThan(2_500);
    }

    await redis.restart();
    // Back (empty): both instances use it again within a few seconds.
    const deadline = Date.now() + 20_000;
    let shared: unknown = null;
    while (Date.now() < deadline) {
      await put(a, 'after', 'back');
      shared = await get(b, 'after');
      if (shared === 'back') break;
      await new Promise(r => setTimeout(r, 250));
    }
    expect(shared).toBe('back');
  });
});
