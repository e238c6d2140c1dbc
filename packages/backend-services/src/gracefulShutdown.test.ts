import http from 'node:http';
import { AddressInfo } from 'node:net';
import express from 'express';
import { mockServices } from '@backstage/backend-test-utils';
import { installDrain } from './gracefulShutdown';

function get(port: number, path: string) {
  return new Promise<{ status: number; connection?: string; body: string }>(
    (resolve, reject) => {
      const agent = new http.Agent({ keepAlive: true });
      http
        .get({ port, path, host: '127.0.0.1', agent }, res => {
          let body = '';
          res.on('data', d => (body += d));
          res.on('end', () =>
            resolve({
              status: res.statusCode!,
              connection: res.headers.connection,
              body,
            }),
          );
        })
        .on('error', reject);
    },
  );
}

describe('installDrain', () => {
  it('lets an in-flight request finish, then closes its keep-alive connection', async () => {
    const app = express();
    const server = http.createServer(app);
    const beginDrain = installDrain(app, server, mockServices.logger.mock(), {
      drainLimitMs: 5_000,
    });
    let started!: () => void;
    const requestStarted = new Promise<void>(r => (started = r));
    app.get('/slow', (_req, res) => {
      started();
      setTimeout(() => res.send('done'), 500);
    });
    await new Promise<void>(r => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as AddressInfo).port;

    const response = get(port, '/slow');
    await requestStarted;
    const t0 = Date.now();
    beginDrain();
    const closed = new Promise<void>(r => server.close(() => r()));

    const res = await response;
    expect(res).toEqual({ status: 200, connection: 'close', body: 'done' });
    await closed;
    // Closed when the response ended, not after a keep-alive timeout.
    expect(Date.now() - t0).toBeLessThan(3_000);
  });

  it('cuts requests that outlive the drain limit', async () => {
    const app = express();
    const server = http.createServer(app);
    const beginDrain = installDrain(app, server, mockServices.logger.mock(), {
      drainLimitMs: 300,
    });
    app.get('/hang', () => {
      /* never answers */
    });
    await new Promise<void>(r => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as AddressInfo).port;
    const response = get(port, '/hang').catch(e => e);
    await new Promise(r => setTimeout(r, 100));
    beginDrain();
    await new Promise<void>(r => server.close(() => r()));
    expect(String(await response)).toMatch(/socket hang up|ECONNRESET/);
  });

  it('ends known long-polls at once instead of waiting for them', async () => {
    const app = express();
    const server = http.createServer(app);
    const beginDrain = installDrain(app, server, mockServices.logger.mock(), {
      drainLimitMs: 5_000,
    });
    let started!: () => void;
    const requestStarted = new Promise<void>(r => (started = r));
    app.get('/api/events/bus/v1/subscriptions/catalog/events', (_req, res) => {
      res.status(202);
      res.flushHeaders();
      started();
    });
    await new Promise<void>(r => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as AddressInfo).port;
    const response = get(
      port,
      '/api/events/bus/v1/subscriptions/catalog/events',
    );
    await requestStarted;
    const t0 = Date.now();
    beginDrain();
    await new Promise<void>(r => server.close(() => r()));
    expect((await response).status).toBe(202);
    expect(Date.now() - t0).toBeLessThan(2_000);
  });

  it('ends a long-poll that starts waiting after draining began', async () => {
    const app = express();
    const server = http.createServer(app);
    const beginDrain = installDrain(app, server, mockServices.logger.mock(), {
      drainLimitMs: 5_000,
    });
    let started!: () => void;
    const requestStarted = new Promise<void>(r => (started = r));
    let release!: () => void;
    const released = new Promise<void>(r => (release = r));
    app.get(
      '/api/events/bus/v1/subscriptions/signals/events',
      async (_req, res) => {
        started();
        await released; // reading the subscription, headers not sent yet
        res.status(202);
        res.flushHeaders(); // would now wait for a notification
      },
    );
    await new Promise<void>(r => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as AddressInfo).port;
    const response = get(
      port,
      '/api/events/bus/v1/subscriptions/signals/events',
    );
    await requestStarted;
    const t0 = Date.now();
    beginDrain();
    release();
    await new Promise<void>(r => server.close(() => r()));
    expect((await response).status).toBe(202);
    expect(Date.now() - t0).toBeLessThan(2_000);
  });
});
