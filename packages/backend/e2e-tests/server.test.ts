/*
 * The production server's HTTP contract, against the server that
 * scripts/e2e/global-setup.js started from the production tree on PostgreSQL,
 * and against servers started here from the same tree.
 */
import http from 'node:http';
import net from 'node:net';
import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const portal = require('../../../scripts/lib/portal');

const base = () => process.env.PORTAL_URL!;
const token = () => process.env.PORTAL_API_TOKEN!;
const pg = () => portal.sharedPostgres();

test.describe('production smoke', () => {
  test('answers readiness and liveness', async ({ request }) => {
    for (const probe of ['readiness', 'liveness']) {
      const res = await request.get(`${base()}/.backstage/health/v1/${probe}`);
      expect(res.status(), probe).toBe(200);
      expect(await res.json()).toEqual({ status: 'ok' });
    }
  });

  test('serves the built frontend at /', async ({ request }) => {
    const res = await request.get(`${base()}/`);
    expect(res.status()).toBe(200);
    expect(res.headers()['content-type']).toContain('text/html');
    const html = await res.text();
    expect(html).toContain('<div id="root">');
    expect(html).toMatch(/<script[^>]+src="[^"]*static\/[^"]+\.js"/);
  });

  test('serves catalog entities to the API token and 401 without it', async ({
    request,
  }) => {
    const entities = await portal.waitFor('sample entities', async () => {
      const res = await request.get(`${base()}/api/catalog/entities`, {
        headers: { Authorization: `Bearer ${token()}` },
      });
      expect(res.status()).toBe(200);
      const body = await res.json();
      return body.length >= 20 ? body : undefined;
    });
    const names = entities.map((e: any) => `${e.kind}:${e.metadata.name}`);
    expect(names).toEqual(
      expect.arrayContaining([
        'Component:developer-portal',
        'Component:payments-service',
        'API:payments-api',
      ]),
    );

    const anonymous = await request.get(`${base()}/api/catalog/entities`);
    expect(anonymous.status()).toBe(401);
    const wrong = await request.get(`${base()}/api/catalog/entities`, {
      headers: { Authorization: `Bearer ${token()}x` },
    });
    expect(wrong.status()).toBe(401);
  });
});

test.describe('start-up and shutdown', () => {
  test('a missing required variable stops start-up with a message naming it', async () => {
    const port = await portal.freePort();
    const env = portal.contractEnv({ pg: pg(), port });
    delete env.APP_BASE_URL;
    delete env.POSTGRES_PASSWORD;
    const server = portal.startServer({
      tree: process.env.PORTAL_TREE,
      env,
      extraArgs: [],
    });
    const result = await Promise.race([
      server.exited,
      new Promise(r => setTimeout(() => r('timeout'), 30_000)),
    ]);
    if (result === 'timeout') {
      // eslint-disable-next-line no-console
      console.log(
        `HUNG pid ${server.child.pid}; output so far:\n${server.output()}`,
      );
    }
    expect(result).not.toBe('timeout');
    expect((result as any).code).not.toBe(0);
    expect(server.output()).toContain(
      'Missing required environment variables APP_BASE_URL, POSTGRES_PASSWORD',
    );
    await server.stop();
  });

  test('without PORTAL_API_TOKEN no static token is accepted', async () => {
    const port = await portal.freePort();
    // Same catalog locations and providers as the shared server (demo layer,
    // API docs bucket), so sharing its database is safe.
    const server = portal.startServer({
      tree: process.env.PORTAL_TREE,
      env: {
        ...portal.contractEnv({ pg: pg(), port }),
        ...portal.apiDocsEnv(),
      },
    });
    try {
      await server.waitReady();
      for (const candidate of [token(), 'undefined', '']) {
        const res = await fetch(`${server.base}/api/catalog/entities`, {
          headers: { Authorization: `Bearer ${candidate}` },
        });
        expect(res.status, `token '${candidate}'`).toBe(401);
      }
      expect(server.output()).toContain(
        "Static external access 'portal-api-token' has no token",
      );
    } finally {
      await server.stop();
    }
  });

  test('without the demo layer guest sign-in is off; SIGTERM drains and exits 0 within 10 s', async () => {
    // Its own database: an instance with other catalog locations would
    // reconcile the shared catalog to its own configuration.
    const ownPg = portal.startPostgres(path.join(portal.workDir, 'sigterm-pg'));
    const port = await portal.freePort();
    const logFile = path.join(portal.workDir, 'e2e-sigterm.log');
    const server = portal.startServer({
      tree: process.env.PORTAL_TREE,
      env: portal.contractEnv({ pg: ownPg, port, token: token() }),
      extraArgs: [],
      logFile,
    });
    try {
      await server.waitReady();
      // Without API_DOCS_BUCKET the API docs provider is off, and says so.
      expect(fs.readFileSync(logFile, 'utf8')).toContain(
        'API docs from Cloud Storage: catalog.providers.gcsApiDocs default has no bucket (API_DOCS_BUCKET unset), so it is off',
      );

      // Guest sign-in is refused in production.
      const guest = await fetch(`${server.base}/api/auth/guest/refresh`, {
        headers: { 'X-Requested-With': 'XMLHttpRequest' },
      });
      expect(guest.status).toBeGreaterThanOrEqual(400);

      // An in-flight request: headers sent, body trickled across the SIGTERM.
      const body = JSON.stringify({
        entityRefs: ['component:default/developer-portal'],
      });
      const socket = net.connect(port, '127.0.0.1');
      let response = '';
      socket.on('data', d => (response += d));
      const socketClosed = new Promise<void>(r =>
        socket.on('close', () => r()),
      );
      socket.write(
        `POST /api/catalog/entities/by-refs HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token()}\r\n` +
          `Content-Type: application/json\r\nContent-Length: ${
            body.length
          }\r\n\r\n${body.slice(0, 5)}`,
      );
      await new Promise(r => setTimeout(r, 300));

      // A second in-flight request: a large download the client reads slowly.
      const html = await (await fetch(`${server.base}/`)).text();
      const scripts = [...html.matchAll(/src="([^"]+\.js)"/g)].map(m => m[1]);
      expect(scripts.length).toBeGreaterThan(0);
      const download = new Promise<{ expected: number; received: number }>(
        (resolve, reject) => {
          const req = http.get(
            `${server.base}${scripts[scripts.length - 1]}`,
            { headers: { 'Accept-Encoding': 'identity' } },
            res => {
              let received = 0;
              res.pause();
              setTimeout(() => res.resume(), 2500);
              res.on('data', d => (received += d.length));
              res.on('end', () =>
                resolve({
                  expected: Number(res.headers['content-length']),
                  received,
                }),
              );
              res.on('error', reject);
            },
          );
          req.on('error', reject);
        },
      );
      await new Promise(r => setTimeout(r, 300));

      const sigterm = Date.now();
      server.child.kill('SIGTERM');
      await new Promise(r => setTimeout(r, 1000));
      // New connections are refused once draining started.
      const refused = await fetch(
        `${server.base}/.backstage/health/v1/liveness`,
      ).then(
        () => false,
        () => true,
      );
      expect(refused).toBe(true);
      socket.write(body.slice(5));

      const exit = await server.exited;
      await socketClosed;
      expect(response.split('\r\n')[0]).toBe('HTTP/1.1 200 OK');
      expect(response).toContain('"items"');
      const { expected, received } = await download;
      expect(expected).toBeGreaterThan(0);
      expect(received).toBe(expected);
      test.info().annotations.push({
        type: 'shutdown-ms',
        description: String(exit.at - sigterm),
      });
      expect(exit.code).toBe(0);
      expect(exit.at - sigterm).toBeLessThan(10_000);
    } finally {
      await server.stop();
      ownPg.stop();
    }
  });
});
