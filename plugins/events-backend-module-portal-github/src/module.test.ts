/*
 * The module in a backend (two instances sharing one database), on real
 * SQLite (better-sqlite3) and, when
 * BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING is set (scripts/test.sh
 * sets it), on PostgreSQL: deliveries accepted once across instances,
 * replays ignored, oversized and forged deliveries refused with nothing
 * stored or published, a rotated secret used at once, old deliveries pruned.
 */
import { AddressInfo } from 'node:net';
import {
  coreServices,
  createBackendPlugin,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import {
  mockServices,
  startTestBackend,
  TestDatabaseId,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { Config, ConfigReader } from '@backstage/config';
import {
  EventParams,
  EventsService,
  EventsServiceSubscribeOptions,
  eventsServiceRef,
} from '@backstage/plugin-events-node';
import {
  DatabaseDeliveryLedger,
  DELIVERIES_TABLE,
  DELIVERY_RETENTION_MS,
  migrateDeliveriesTable,
} from './deliveries';
import { eventsModulePortalGithubWebhook } from './module';
import { post, signWebhook } from './testHttp';

jest.setTimeout(60_000);

const ids: TestDatabaseId[] = process.env
  .BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING
  ? ['SQLITE_3', 'POSTGRES_15']
  : ['SQLITE_3'];
if (ids.length === 1) {
  // eslint-disable-next-line no-console
  console.warn(
    'BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING is not set: the PostgreSQL case is skipped',
  );
}
const databases = TestDatabases.create({ ids });

/** The events service of one instance: local delivery, every publish recorded. */
class RecordingEvents implements EventsService {
  readonly published: EventParams[] = [];
  private readonly subscribers: EventsServiceSubscribeOptions[] = [];
  async publish(params: EventParams) {
    this.published.push(params);
    for (const s of this.subscribers) {
      if (s.topics.includes(params.topic)) await s.onEvent(params);
    }
  }
  async subscribe(options: EventsServiceSubscribeOptions) {
    this.subscribers.push(options);
  }
  topics() {
    return this.published.map(p => p.topic);
  }
}

/** The root config whose whole content can be replaced, as a secret refresh does. */
function liveConfig(data: object) {
  const live = { current: new ConfigReader(data) as Config };
  const config = new Proxy({} as Config, {
    get(_, property) {
      const value = (live.current as any)[property];
      return typeof value === 'function' ? value.bind(live.current) : value;
    },
  });
  return {
    config,
    replace: (next: object) => {
      live.current = new ConfigReader(next);
    },
  };
}

// The events plugin itself is not needed: the module owns its route.
const eventsPluginStandIn = createBackendPlugin({
  pluginId: 'events',
  register(env) {
    env.registerInit({ deps: {}, async init() {} });
  },
});

const secretConfig = (secret: string) => ({
  backend: { baseUrl: 'http://localhost:7007' },
  events: { modules: { github: { webhookSecret: secret } } },
});

describe.each(databases.eachSupportedId())('GitHub webhooks on %p', id => {
  let knex: Awaited<ReturnType<typeof databases.init>>;
  const live = liveConfig(secretConfig('first-secret'));
  const instances: Array<{
    port: number;
    events: RecordingEvents;
    scheduler: ReturnType<typeof mockServices.scheduler>;
    stop: () => Promise<void>;
  }> = [];

  beforeAll(async () => {
    knex = await databases.init(id);
    for (let i = 0; i < 2; i++) {
      const events = new RecordingEvents();
      const scheduler = mockServices.scheduler();
      const backend = await startTestBackend({
        features: [
          eventsPluginStandIn,
          eventsModulePortalGithubWebhook,
          mockServices.database.factory({ knex }),
          createServiceFactory({
            service: coreServices.rootConfig,
            deps: {},
            factory: () => live.config,
          }),
          createServiceFactory({
            service: eventsServiceRef,
            deps: {},
            factory: () => events,
          }),
          createServiceFactory({
            service: coreServices.scheduler,
            deps: {},
            factory: () => scheduler,
          }),
        ],
      });
      instances.push({
        port: (backend.server.address() as AddressInfo).port,
        events,
        scheduler,
        stop: () => backend.stop(),
      });
    }
  });

  afterAll(async () => {
    for (const instance of instances) await instance.stop();
  });

  const [a, b] = [0, 1].map(i => ({
    deliver: (
      deliveryId: string | undefined,
      options: { secret?: string; body?: Buffer; event?: string } = {},
    ) => {
      const body =
        options.body ??
        Buffer.from(JSON.stringify({ ref: 'refs/heads/main', n: deliveryId }));
      return post(
        instances[i].port,
        '/api/events/http/github',
        {
          'content-type': 'application/json',
          'x-github-event': options.event ?? 'push',
          ...(deliveryId ? { 'x-github-delivery': deliveryId } : {}),
          'x-hub-signature-256': signWebhook(
            options.secret ?? 'first-secret',
            body,
          ),
        },
        body,
      );
    },
  }));
  const githubPublishes = () =>
    instances
      .flatMap(i => i.events.published)
      .filter(p => p.topic === 'github');
  const stored = async (deliveryId: string) =>
    (await knex(DELIVERIES_TABLE).where({ delivery_id: deliveryId })).length;

  beforeEach(() => {
    for (const instance of instances) instance.events.published.length = 0;
  });

  it('publishes a signed delivery on github (and github.push through the router) and remembers it', async () => {
    const res = await a.deliver(`${id}-first`);
    expect(res.status).toBe(202);
    expect(instances[0].events.topics()).toEqual(['github', 'github.push']);
    expect(instances[0].events.published[0].metadata).toMatchObject({
      'x-github-event': 'push',
      'x-github-delivery': `${id}-first`,
    });
    expect(await stored(`${id}-first`)).toBe(1);
  });

  it('ignores a replay of the same signed delivery, on the same or another instance', async () => {
    expect((await a.deliver(`${id}-replay`)).status).toBe(202);
    const again = await a.deliver(`${id}-replay`);
    const elsewhere = await b.deliver(`${id}-replay`);
    for (const res of [again, elsewhere]) {
      expect(res.status).toBe(200);
      expect(res.body.message).toMatch(/already processed/);
    }
    expect(githubPublishes()).toHaveLength(1);
    expect(await stored(`${id}-replay`)).toBe(1);
  });

  it('publishes concurrent identical deliveries to two instances once', async () => {
    const deliveryId = `${id}-race`;
    const results = await Promise.all(
      [a, b, a, b, a, b].map(instance => instance.deliver(deliveryId)),
    );
    const statuses = results.map(r => r.status).sort();
    expect(statuses).toEqual([200, 200, 200, 200, 200, 202]);
    expect(githubPublishes()).toHaveLength(1);
    expect(await stored(deliveryId)).toBe(1);
  });

  it('refuses a body over 1 MB with 413 and stores and publishes nothing', async () => {
    const body = Buffer.from(JSON.stringify({ pad: 'x'.repeat(1024 * 1024) }));
    const res = await a.deliver(`${id}-big`, { body });
    expect(res.status).toBe(413);
    expect(res.body.message).toMatch(/limit of 1048576 bytes/);
    expect(githubPublishes()).toEqual([]);
    expect(await stored(`${id}-big`)).toBe(0);
  });

  it('refuses a wrong signature with 401 and stores and publishes nothing', async () => {
    const res = await b.deliver(`${id}-forged`, { secret: 'guessed' });
    expect(res.status).toBe(401);
    expect(githubPublishes()).toEqual([]);
    expect(await stored(`${id}-forged`)).toBe(0);
    // The id was not used up: the genuine delivery still goes through.
    expect((await b.deliver(`${id}-forged`)).status).toBe(202);
  });

  it('refuses a signed delivery without X-GitHub-Delivery with 400', async () => {
    const res = await a.deliver(undefined);
    expect(res.status).toBe(400);
    expect(githubPublishes()).toEqual([]);
  });

  it('accepts deliveries signed with a rotated secret from the next delivery on', async () => {
    expect((await a.deliver(`${id}-rot-1`)).status).toBe(202);
    live.replace(secretConfig('second-secret'));
    try {
      expect((await a.deliver(`${id}-rot-2`)).status).toBe(401);
      expect(
        (await a.deliver(`${id}-rot-3`, { secret: 'second-secret' })).status,
      ).toBe(202);
      expect(
        (await b.deliver(`${id}-rot-4`, { secret: 'second-secret' })).status,
      ).toBe(202);
    } finally {
      live.replace(secretConfig('first-secret'));
    }
    expect(githubPublishes()).toHaveLength(3);
    expect(await stored(`${id}-rot-2`)).toBe(0);
  });

  it('keeps deliveries for the redelivery window and prunes older ones on schedule', async () => {
    const now = Date.now();
    await knex(DELIVERIES_TABLE).insert([
      {
        delivery_id: `${id}-old`,
        event: 'push',
        received_at: now - DELIVERY_RETENTION_MS - 60_000,
      },
      {
        delivery_id: `${id}-72h`,
        event: 'push',
        received_at: now - 72 * 3600_000,
      },
    ]);
    await instances[1].scheduler.triggerTask(
      'portal-github-webhook-deliveries-prune',
    );
    expect(await stored(`${id}-old`)).toBe(0);
    expect(await stored(`${id}-72h`)).toBe(1);
    expect(await stored(`${id}-first`)).toBe(1);
    // A pruned id is a new delivery again; one within the window is not.
    expect((await a.deliver(`${id}-72h`)).status).toBe(200);
  });

  it('creates its table idempotently, also when instances race', async () => {
    await Promise.all([
      migrateDeliveriesTable(knex),
      migrateDeliveriesTable(knex),
    ]);
    expect(await knex.schema.hasTable(DELIVERIES_TABLE)).toBe(true);
    const ledger = new DatabaseDeliveryLedger(knex);
    expect(await ledger.claim(`${id}-direct`, 'push')).toBe(true);
    expect(await ledger.claim(`${id}-direct`, 'push')).toBe(false);
    await ledger.release(`${id}-direct`);
    expect(await ledger.claim(`${id}-direct`, 'push')).toBe(true);
  });
});
