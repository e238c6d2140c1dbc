import http from 'node:http';
import net, { AddressInfo } from 'node:net';
import express, { ErrorRequestHandler, Router } from 'express';
import { ConfigReader } from '@backstage/config';
import { coreServices } from '@backstage/backend-plugin-api';
import { MiddlewareFactory } from '@backstage/backend-defaults/rootHttpRouter';
import { rootLifecycleServiceFactory } from '@backstage/backend-defaults/rootLifecycle';
import { lifecycleServiceFactory } from '@backstage/backend-defaults/lifecycle';
import { httpRouterServiceFactory } from '@backstage/backend-defaults/httpRouter';
import {
  mockServices,
  ServiceFactoryTester,
} from '@backstage/backend-test-utils';
import { hardenRootRouter } from './httpHardening';
import { portalRootHttpRouterServiceFactory } from './gracefulShutdown';

type Reply = { status: number; body: any; connection?: string };

/**
 * Sends `size` bytes of JSON to `path`: with a Content-Length, or chunked
 * (no length announced, so only the body parser can tell).
 */
function post(
  port: number,
  path: string,
  size: number,
  { chunked = false } = {},
): Promise<Reply> {
  const payload = Buffer.from(
    JSON.stringify({ data: 'x'.repeat(Math.max(0, size - 12)) }),
  );
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(chunked ? {} : { 'content-length': payload.length }),
        },
      },
      res => {
        let text = '';
        res.on('data', d => (text += d));
        res.on('end', () => {
          let body: any = text;
          try {
            body = JSON.parse(text);
          } catch {
            // not JSON
          }
          resolve({
            status: res.statusCode!,
            body,
            connection: res.headers.connection,
          });
        });
      },
    );
    // The server may answer (and close) before the whole body is sent.
    req.on('error', reject);
    if (chunked) {
      for (let i = 0; i < payload.length; i += 16 * 1024) {
        req.write(payload.subarray(i, i + 16 * 1024));
      }
    } else {
      req.write(payload);
    }
    req.end();
  });
}

function get(port: number, path: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path }, res => {
        let text = '';
        res.on('data', d => (text += d));
        res.on('end', () =>
          resolve({ status: res.statusCode!, body: JSON.parse(text) }),
        );
      })
      .on('error', reject);
  });
}

/** Backstage's error classes by name (as @backstage/errors sets them). */
function named(name: string, message: string, cause?: Error) {
  const error = new Error(message, cause ? { cause } : undefined);
  error.name = name;
  return error;
}

/**
 * Routes shaped like the installed plugins': an OpenAPI router
 * (@backstage/backend-openapi-utils: express.json(), then every error made
 * an InputError), a plain router (auth, signals: express.json()), the
 * scaffolder's (express.json({ limit: '10MB' }) in an OpenAPI router), and
 * routes that fail.
 */
function pluginRoutes(
  handled: string[],
  pluginErrorHandler: () => ErrorRequestHandler,
) {
  const openApiTransformer: ErrorRequestHandler = (error, _req, _res, next) =>
    next(named('InputError', error.message));
  const ok = (id: string) => (_req: express.Request, res: express.Response) => {
    handled.push(id);
    res.json({ ok: true });
  };

  const catalog = Router();
  catalog.use(express.json());
  catalog.use(openApiTransformer);
  catalog.post('/entities/by-refs', ok('catalog'));

  const auth = Router();
  auth.use(express.json());
  auth.post('/refresh', ok('auth'));

  const scaffolder = Router();
  scaffolder.use(express.json({ limit: '10MB' }));
  scaffolder.use(openApiTransformer);
  scaffolder.post('/v2/dry-run', ok('scaffolder'));

  const failing = Router();
  failing.get('/crash', () => {
    throw named(
      'Error',
      "ENOENT: no such file or directory, open '/app/packages/backend/dist/secret.json'",
      named('SqliteError', 'no such table: users'),
    );
  });
  failing.get('/bad', () => {
    throw named('InputError', 'Missing the query parameter ref');
  });
  failing.get('/unavailable', () => {
    throw named('ServiceUnavailableError', 'Okta is not reachable');
  });

  // As Backstage's httpRouter service mounts them: each plugin's router
  // ends with its own error handler.
  const routes = Router();
  for (const [id, router] of Object.entries({
    catalog,
    auth,
    scaffolder,
    failing,
  })) {
    const plugin = Router();
    plugin.use(router);
    plugin.use(pluginErrorHandler());
    routes.use(`/api/${id}`, plugin);
  }
  return routes;
}

/** An app put together as rootHttpRouterServiceFactory's applyDefaults does. */
async function serve({
  harden,
  production,
}: {
  harden: boolean;
  production: boolean;
}) {
  const logger = mockServices.logger.mock();
  logger.child.mockImplementation(() => logger);
  const middleware = MiddlewareFactory.create({
    config: new ConfigReader({}),
    logger,
  });
  const handled: string[] = [];
  const app = express();
  if (harden) hardenRootRouter(app, middleware, { logger, production });
  app.use(middleware.rateLimit());
  app.use(
    pluginRoutes(handled, () =>
      MiddlewareFactory.create({
        config: new ConfigReader({}),
        logger,
      }).error(),
    ),
  );
  app.use(middleware.notFound());
  app.use(middleware.error());
  const server = http.createServer(app);
  await new Promise<void>(r => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    handled,
    logger,
    close: () => new Promise<void>(r => server.close(() => r())),
  };
}

const KB = 1024;

describe('oversized request bodies', () => {
  it("without the portal's wrapper, an OpenAPI router answers 400 (the hole)", async () => {
    const s = await serve({ harden: false, production: true });
    try {
      const reply = await post(
        s.port,
        '/api/catalog/entities/by-refs',
        200 * KB,
      );
      expect(reply.status).toBe(400);
      expect(reply.body.error.message).toBe('request entity too large');
    } finally {
      await s.close();
    }
  });

  describe('with the wrapper', () => {
    let s: Awaited<ReturnType<typeof serve>>;
    beforeAll(async () => {
      s = await serve({ harden: true, production: true });
    });
    afterAll(() => s.close());

    it.each([
      ['announced (Content-Length)', false],
      ['chunked', true],
    ])(
      'OpenAPI router, %s: 413 with the limit in a JSON message',
      async (_, chunked) => {
        const reply = await post(
          s.port,
          '/api/catalog/entities/by-refs',
          200 * KB,
          { chunked },
        );
        expect(reply.status).toBe(413);
        expect(reply.body).toEqual({
          error: {
            name: 'PayloadTooLargeError',
            message:
              'Request body is larger than the limit of 102400 bytes (100 kB)',
            limit: 102400,
            statusCode: 413,
          },
          // (url: as the router that answered saw it)
          request: { method: 'POST', url: expect.any(String) },
          response: { statusCode: 413 },
        });
      },
    );

    it('an announced oversized body is refused before the plugin reads it, and the connection closed', async () => {
      const before = s.handled.length;
      const reply = await post(s.port, '/api/auth/refresh', 101 * KB);
      expect(reply.status).toBe(413);
      expect(reply.connection).toBe('close');
      expect(s.handled.length).toBe(before);
    });

    it("a plain router's body-parser error (chunked) names the parser's own limit", async () => {
      const reply = await post(s.port, '/api/auth/refresh', 150 * KB, {
        chunked: true,
      });
      expect(reply.status).toBe(413);
      expect(reply.body.error.message).toBe(
        'Request body is larger than the limit of 102400 bytes (100 kB)',
      );
    });

    it("bodies within a plugin's own limit still arrive", async () => {
      await expect(
        post(s.port, '/api/catalog/entities/by-refs', 50 * KB),
      ).resolves.toMatchObject({ status: 200 });
      await expect(
        post(s.port, '/api/scaffolder/v2/dry-run', 2 * 1024 * KB),
      ).resolves.toMatchObject({ status: 200 });
      const big = await post(
        s.port,
        '/api/scaffolder/v2/dry-run',
        11 * 1024 * KB,
      );
      expect(big.status).toBe(413);
      expect(big.body.error.message).toBe(
        'Request body is larger than the limit of 10485760 bytes (10 MB)',
      );
    });
  });
});

describe('error responses', () => {
  it('production: a 500 says nothing of the error, which is logged under the id it gives', async () => {
    const s = await serve({ harden: true, production: true });
    try {
      const reply = await get(s.port, '/api/failing/crash');
      expect(reply.status).toBe(500);
      expect(reply.body).toEqual({
        error: {
          name: 'Error',
          message: expect.stringMatching(
            /^An internal error occurred logId=[0-9a-f]{20}$/,
          ),
        },
        request: { method: 'GET', url: '/crash' },
        response: { statusCode: 500 },
      });
      const text = JSON.stringify(reply.body);
      expect(text).not.toMatch(/\/app\/|ENOENT|SqliteError|stack|at /);
      // What was withheld is logged under the id (Backstage's handler logged
      // the error with its stack just before).
      const logId = reply.body.error.message.split('logId=')[1];
      expect(s.logger.error).toHaveBeenCalledWith(
        expect.stringMatching(
          new RegExp(
            `logId=${logId}; withheld from the response: Error: ENOENT`,
          ),
        ),
      );
      expect(s.logger.error).toHaveBeenCalledWith(
        'Request failed with status 500',
        expect.objectContaining({ stack: expect.any(String) }),
      );
      // Errors meant for the client keep their message.
      await expect(get(s.port, '/api/failing/bad')).resolves.toEqual({
        status: 400,
        body: expect.objectContaining({
          error: {
            name: 'InputError',
            message: 'Missing the query parameter ref',
          },
        }),
      });
      await expect(get(s.port, '/api/failing/unavailable')).resolves.toEqual({
        status: 503,
        body: expect.objectContaining({
          error: {
            name: 'ServiceUnavailableError',
            message: 'Okta is not reachable',
          },
        }),
      });
    } finally {
      await s.close();
    }
  });

  it("without the wrapper the 500's message and cause reach the client (the hole)", async () => {
    const s = await serve({ harden: false, production: true });
    try {
      const reply = await get(s.port, '/api/failing/crash');
      expect(JSON.stringify(reply.body)).toMatch(/\/app\/packages/);
    } finally {
      await s.close();
    }
  });

  it("outside production Backstage's answer is kept (the details help locally)", async () => {
    const s = await serve({ harden: true, production: false });
    try {
      const reply = await get(s.port, '/api/failing/crash');
      expect(reply.status).toBe(500);
      expect(reply.body.error.message).toMatch(/ENOENT/);
    } finally {
      await s.close();
    }
  });
});

describe('portalRootHttpRouterServiceFactory', () => {
  const freePort = () =>
    new Promise<number>((resolve, reject) => {
      const probe = net.createServer();
      probe.on('error', reject);
      probe.listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as AddressInfo;
        probe.close(() => resolve(port));
      });
    });

  it("answers through Backstage's httpRouter service, whose plugin routers have their own error handler (production)", async () => {
    const port = await freePort();
    const previous = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    try {
      const tester = ServiceFactoryTester.from(httpRouterServiceFactory, {
        dependencies: [
          mockServices.rootConfig.factory({
            data: {
              backend: {
                baseUrl: `http://127.0.0.1:${port}`,
                listen: { host: '127.0.0.1', port },
              },
            },
          }),
          rootLifecycleServiceFactory,
          lifecycleServiceFactory,
          portalRootHttpRouterServiceFactory,
        ],
      });
      // The plugin 'probe', as a plugin registers its routes.
      const httpRouter = await tester.getSubject('probe');
      const router = Router();
      router.use(express.json());
      router.post('/echo', (req, res) => res.json(req.body));
      router.get('/crash', () => {
        throw new Error('EACCES: permission denied, open /app/x');
      });
      httpRouter.use(router);
      httpRouter.addAuthPolicy({ path: '/', allow: 'unauthenticated' });
      // Requests wait for the plugin to have started.
      const pluginLifecycle = (await tester.getService(
        coreServices.lifecycle,
        'probe',
      )) as unknown as { startup(): Promise<void> };
      await pluginLifecycle.startup();
      const rootLifecycle = (await tester.getService(
        coreServices.rootLifecycle,
      )) as unknown as {
        beforeShutdown(): Promise<void>;
        shutdown(): Promise<void>;
      };
      try {
        await expect(
          post(port, '/api/probe/echo', 10 * KB),
        ).resolves.toMatchObject({ status: 200 });
        const big = await post(port, '/api/probe/echo', 200 * KB, {
          chunked: true,
        });
        expect(big.status).toBe(413);
        expect(big.body.error.message).toMatch(/102400 bytes/);
        const announced = await post(port, '/api/probe/echo', 200 * KB);
        expect(announced.status).toBe(413);
        const crash = await get(port, '/api/probe/crash');
        expect(crash.status).toBe(500);
        expect(crash.body.error.message).toMatch(/^An internal error occurred/);
        expect(JSON.stringify(crash.body)).not.toMatch(/EACCES|\/app\//);
      } finally {
        await rootLifecycle.beforeShutdown();
        await rootLifecycle.shutdown();
      }
    } finally {
      process.env.NODE_ENV = previous;
    }
  });
});
