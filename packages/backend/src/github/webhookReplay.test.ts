/*
 * GitHub webhook ingress hardening (issue 16) with the real events backend:
 * two backends share one database (SQLite file; PostgreSQL when
 * BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING is set), each with the
 * events plugin, our webhook module and a subscriber of `github.push`. The
 * events backend's own HTTP ingress is configured for `github` too
 * (events.http.topics), which must not open a way around our checks.
 */
import fs from 'node:fs';
import { createHmac } from 'node:crypto';
import { createBackendPlugin } from '@backstage/backend-plugin-api';
import { databaseServiceFactory } from '@backstage/backend-defaults/database';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import eventsPlugin from '@backstage/plugin-events-backend';
import {
  EventParams,
  eventsServiceFactory,
  eventsServiceRef,
} from '@backstage/plugin-events-node';
import portalGithubWebhookModule from '@internal/backstage-plugin-events-backend-module-portal-github';
import request from 'supertest';
import {
  DatabaseKind,
  databaseConfig,
  postgresUrl,
  tempDir,
} from '../__testUtils__/testBackend';

jest.setTimeout(120_000);

const SECRET = 'replay-test-secret';
const sign = (body: string | Buffer) =>
  `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;

function probePlugin(received: EventParams[]) {
  return createBackendPlugin({
    pluginId: 'webhookprobe',
    register(env) {
      env.registerInit({
        deps: { events: eventsServiceRef },
        async init({ events }) {
          await events.subscribe({
            id: 'probe',
            topics: ['github.push'],
            onEvent: async event => {
              received.push(event);
            },
          });
        },
      });
    },
  });
}

const kinds: DatabaseKind[] = postgresUrl ? ['sqlite', 'postgres'] : ['sqlite'];

describe.each(kinds)('GitHub webhook replays on %s', kind => {
  const sqliteDir = kind === 'sqlite' ? tempDir('webhook-replay-') : undefined;
  // One database (one prefix) for both instances.
  const database = databaseConfig(kind, sqliteDir);
  const instances: Array<{
    backend: Awaited<ReturnType<typeof startTestBackend>>;
    received: EventParams[];
  }> = [];

  beforeAll(async () => {
    for (let i = 0; i < 2; i++) {
      const received: EventParams[] = [];
      const backend = await startTestBackend({
        features: [
          eventsPlugin,
          portalGithubWebhookModule,
          probePlugin(received),
          eventsServiceFactory,
          databaseServiceFactory,
          mockServices.rootConfig.factory({
            data: {
              backend: { baseUrl: 'http://localhost:7007', database },
              events: {
                useEventBus: 'never',
                http: { topics: ['github'] },
                modules: { github: { webhookSecret: SECRET } },
              },
            },
          }),
        ],
      });
      instances.push({ backend, received });
    }
  });

  afterAll(async () => {
    for (const { backend } of instances) await backend.stop();
    if (sqliteDir) fs.rmSync(sqliteDir, { recursive: true, force: true });
  });

  beforeEach(() => {
    for (const i of instances) i.received.length = 0;
  });

  const deliver = (
    instance: number,
    deliveryId: string | undefined,
    body = JSON.stringify({ ref: 'refs/heads/main', id: deliveryId }),
    signature = sign(body),
  ) => {
    const req = request(instances[instance].backend.server)
      .post('/api/events/http/github')
      .set('Content-Type', 'application/json')
      .set('X-GitHub-Event', 'push')
      .set('X-Hub-Signature-256', signature);
    if (deliveryId) req.set('X-GitHub-Delivery', deliveryId);
    return req.send(body);
  };
  const pushes = () => instances.flatMap(i => i.received);

  it('publishes a signed delivery once (github.push on the receiving instance) and ignores its replay on either instance', async () => {
    const first = await deliver(0, `${kind}-d1`);
    expect(first.status).toBe(202);
    expect(instances[0].received).toHaveLength(1);
    expect(instances[0].received[0].eventPayload).toEqual({
      ref: 'refs/heads/main',
      id: `${kind}-d1`,
    });
    const replayHere = await deliver(0, `${kind}-d1`);
    const replayThere = await deliver(1, `${kind}-d1`);
    for (const res of [replayHere, replayThere]) {
      expect(res.status).toBe(200);
      expect(res.body.message).toMatch(/already processed/);
    }
    expect(pushes()).toHaveLength(1);
  });

  it('publishes two concurrent identical deliveries to two instances once', async () => {
    const results = await Promise.all([
      deliver(0, `${kind}-race`),
      deliver(1, `${kind}-race`),
    ]);
    expect(results.map(r => r.status).sort()).toEqual([200, 202]);
    expect(pushes()).toHaveLength(1);
  });

  it("leaves no way around the checks through the events backend's own ingress", async () => {
    const body = JSON.stringify({ ref: 'refs/heads/main' });
    const forged = await deliver(0, `${kind}-forged`, body, sign('other'));
    expect(forged.status).toBe(401);
    const unsigned = await request(instances[1].backend.server)
      .post('/api/events/http/github')
      .set('Content-Type', 'application/json')
      .set('X-GitHub-Event', 'push')
      .set('X-GitHub-Delivery', `${kind}-unsigned`)
      .send(body);
    expect(unsigned.status).toBe(401);
    expect(unsigned.body.message).toMatch(/X-Hub-Signature-256/);
    const noId = await deliver(1, undefined);
    expect(noId.status).toBe(400);
    // The forged id is not used up.
    expect((await deliver(0, `${kind}-forged`)).status).toBe(202);
    expect(pushes()).toHaveLength(1);
  });

  it('refuses a body over 1 MB with 413 and publishes nothing', async () => {
    const body = JSON.stringify({ pad: 'x'.repeat(1024 * 1024) });
    const res = await deliver(0, `${kind}-big`, body).catch(error => error);
    expect(res.status).toBe(413);
    expect(res.body.message).toMatch(/1048576 bytes/);
    expect(pushes()).toEqual([]);
    // Not remembered: the id is still new.
    expect((await deliver(1, `${kind}-big`)).status).toBe(202);
  });
});
