import http from 'node:http';
import { AddressInfo } from 'node:net';
import express, { RequestHandler } from 'express';
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

/**
 * Serves `handler` at `path` behind the drain, sends one keep-alive request
 * and, once the handler runs, begins draining and closes the server.
 * Resolves with the response (or error), ms from drain to server closed.
 */
async function drainDuring(
  path: string,
  handler: RequestHandler,
  drainLimitMs: number,
  afterDrain: () => void = () => {},
) {
  const app = express();
  const server = http.createServer(app);
  const beginDrain = installDrain(app, server, mockServices.logger.mock(), {
    drainLimitMs,
  });
  let started!: () => void;
  const handlerRan = new Promise<void>(r => (started = r));
  app.get(path, (req, res, next) => {
    started();
    handler(req, res, next);
  });
  await new Promise<void>(r => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  const response = get(port, path).catch(e => e as Error);
  await handlerRan;
  const t0 = Date.now();
  beginDrain();
  afterDrain();
  await new Promise<void>(r => server.close(() => r()));
  return { closedAfterMs: Date.now() - t0, response: await response };
}

describe('installDrain', () => {
  it('lets an in-flight request finish, then closes its keep-alive connection', async () => {
    const { response, closedAfterMs } = await drainDuring(
      '/slow',
      (_req, res) => {
        setTimeout(() => res.send('done'), 500);
      },
      5_000,
    );
    expect(response).toEqual({
      status: 200,
      connection: 'close',
      body: 'done',
    });
    // Closed when the response ended, not after a keep-alive timeout.
    expect(closedAfterMs).toBeLessThan(3_000);
  });

  it('cuts requests that outlive the drain limit', async () => {
    const { response } = await drainDuring(
      '/hang',
      () => {
        /* never answers */
      },
      300,
    );
    expect(String(response)).toMatch(/socket hang up|ECONNRESET/);
  });

  it('ends known long-polls at once instead of waiting for them', async () => {
    const { response, closedAfterMs } = await drainDuring(
      '/api/events/bus/v1/subscriptions/catalog/events',
      (_req, res) => {
        res.status(202);
        res.flushHeaders();
      },
      5_000,
    );
    expect(response).toMatchObject({ status: 202 });
    expect(closedAfterMs).toBeLessThan(2_000);
  });

  it('ends a long-poll that starts waiting after draining began', async () => {
    let release!: () => void;
    const released = new Promise<void>(r => (release = r));
    const { response, closedAfterMs } = await drainDuring(
      '/api/events/bus/v1/subscriptions/signals/events',
      async (_req, res) => {
        await released; // reading the subscription, headers not sent yet
        res.status(202);
        res.flushHeaders(); // would now wait for a notification
      },
      5_000,
      () => release(),
    );
    expect(response).toMatchObject({ status: 202 });
    expect(closedAfterMs).toBeLessThan(2_000);
  });
});
