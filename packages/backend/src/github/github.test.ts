/*
 * GitHub ingestion end to end inside one backend: the upstream org provider
 * and repository discovery, the portal's user transformer and signed-webhook
 * module, the events backend's HTTP ingress and the real URL reader, against
 * the local GitHub fake (scripts/lib/github-fake.js) at the HTTP level.
 * Events are delivered in-process (events.useEventBus: never); the
 * database-backed events bus across instances is covered by
 * e2e-tests/github.test.ts.
 */
import {
  coreServices,
  createServiceFactory,
  LoggerService,
  SchedulerService,
  ServiceFactory,
} from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import githubDiscoveryModule from '@backstage/plugin-catalog-backend-module-github';
import githubOrgModule from '@backstage/plugin-catalog-backend-module-github-org';
import eventsPlugin from '@backstage/plugin-events-backend';
import portalGithubModule from '@internal/backstage-plugin-catalog-backend-module-portal-github';
import portalGithubWebhookModule from '@internal/backstage-plugin-events-backend-module-portal-github';
import {
  portalLoggerServiceFactory,
  withGithubRateLimitWaits,
} from '@internal/backend-services';
import { generateKeyPairSync } from 'node:crypto';
import { eventsServiceFactory } from '@backstage/plugin-events-node';
import request from 'supertest';
// The GitHub fake lives in scripts/ (the benchmark and start.sh use it too).
// eslint-disable-next-line @backstage/no-relative-monorepo-imports
import {
  catalogInfo,
  FakeOrg,
  GithubFake,
  signWebhook,
  startGithubFake,
} from '../../../../scripts/lib/github-fake';

jest.setTimeout(120_000);

const WEBHOOK_SECRET = 'webhook-secret-for-tests';
const ORG_TASK = 'GithubMultiOrgEntityProvider:github:refresh';
const REPO_TASK = 'github-provider:repositories:refresh';

function org(): FakeOrg {
  return {
    org: 'acme',
    users: [
      { login: 'ada', name: 'Ada Lovelace', verifiedEmails: ['ada@acme.com'] },
      {
        login: 'alan',
        name: 'Alan Turing',
        verifiedEmails: ['alan+gh@acme.com'],
      },
      { login: 'grace', name: 'Grace Hopper', email: 'grace@gmail.com' },
    ],
    teams: [
      { slug: 'engineering', name: 'Engineering', members: ['ada'] },
      { slug: 'payments', parent: 'engineering', members: ['alan', 'ada'] },
      { slug: 'web', parent: 'engineering', members: ['grace'] },
    ],
    repos: [
      {
        name: 'checkout',
        files: { 'catalog-info.yaml': catalogInfo('checkout', 'payments') },
      },
      {
        name: 'storefront',
        files: { 'catalog-info.yaml': catalogInfo('storefront', 'web') },
      },
      { name: 'scratch', files: {} },
      {
        name: 'ledger',
        files: { 'catalog-info.yaml': catalogInfo('ledger', 'payments') },
      },
      {
        name: 'old-billing',
        isArchived: true,
        files: { 'catalog-info.yaml': catalogInfo('old-billing', 'payments') },
      },
      {
        name: 'checkout-fork',
        isFork: true,
        files: { 'catalog-info.yaml': catalogInfo('checkout-fork', 'web') },
      },
    ],
  };
}

interface LogLine {
  level: string;
  message: string;
  meta: Record<string, unknown>;
}

function capturingRootLogger(lines: LogLine[]) {
  const make = (meta: Record<string, unknown>): LoggerService => {
    const at = (level: string) => (message: string, extra?: Error | object) => {
      lines.push({
        level,
        message,
        meta: { ...meta, ...(extra && !(extra instanceof Error) ? extra : {}) },
      });
    };
    return {
      error: at('error'),
      warn: at('warn'),
      info: at('info'),
      debug: at('debug'),
      child: more => make({ ...meta, ...more }),
    };
  };
  return createServiceFactory({
    service: coreServices.rootLogger,
    deps: {},
    factory: () => make({}) as any,
  });
}

/**
 * The mock scheduler (tasks run when triggered, and all once at start-up)
 * with the portal's rate-limit waits around it, as
 * portalSchedulerServiceFactory puts them around the default scheduler.
 */
function schedulerWithRateLimitWaits(
  scheduler: SchedulerService,
): ServiceFactory {
  return createServiceFactory({
    service: coreServices.scheduler,
    deps: { lifecycle: coreServices.lifecycle, logger: coreServices.logger },
    factory({ lifecycle, logger }) {
      lifecycle.addStartupHook(async () => {
        const tasks = await scheduler.getScheduledTasks();
        await Promise.all(tasks.map(t => scheduler.triggerTask(t.id)));
      });
      return withGithubRateLimitWaits(scheduler, {
        logger,
        maxWaitMs: 30_000,
        maxRuns: 3,
      });
    },
  });
}

/**
 * A backend with the catalog, the GitHub modules (upstream and ours), the
 * events backend and our webhook module, configured like app-config.yaml but
 * pointed at the fake, with small page sizes so that paging happens.
 */
function startPortalBackend(options: {
  fake: GithubFake;
  scheduler: SchedulerService;
  logs: LogLine[];
  github: Record<string, unknown>;
}) {
  const { fake } = options;
  return startTestBackend({
    features: [
      capturingRootLogger(options.logs),
      portalLoggerServiceFactory,
      schedulerWithRateLimitWaits(options.scheduler),
      eventsServiceFactory,
      mockServices.rootConfig.factory({
        data: {
          integrations: {
            github: [
              { host: 'github.com', apiBaseUrl: fake.url, ...options.github },
            ],
          },
          catalog: {
            rules: [{ allow: ['Component', 'Location', 'User', 'Group'] }],
            providers: {
              githubOrg: {
                id: 'github',
                githubUrl: 'https://github.com',
                orgs: ['acme'],
                pageSizes: {
                  teams: 2,
                  teamMembers: 100,
                  organizationMembers: 2,
                },
                schedule: { frequency: { hours: 1 }, timeout: { minutes: 5 } },
              },
              github: {
                repositories: {
                  organization: 'acme',
                  validateLocationsExist: true,
                  filters: { allowForks: false },
                  pageSizes: { repositories: 2 },
                  schedule: {
                    frequency: { hours: 1 },
                    timeout: { minutes: 5 },
                  },
                },
              },
            },
          },
          events: {
            // In-process delivery between plugins; no long-poll of the
            // database bus (which would hold the test server's shutdown).
            useEventBus: 'never',
            modules: { github: { webhookSecret: WEBHOOK_SECRET } },
          },
          portal: {
            github: {
              userEmails: { grace: 'grace.hopper@acme.com' },
              newRepositorySync: { delay: { milliseconds: 200 } },
            },
          },
        },
      }),
      catalogPlugin,
      githubOrgModule,
      portalGithubModule,
      githubDiscoveryModule,
      eventsPlugin,
      portalGithubWebhookModule,
    ],
  });
}

async function eventually<T>(
  probe: () => Promise<T>,
  ok: (value: T) => boolean,
  timeoutMs = 30_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  let value = await probe();
  while (!ok(value)) {
    if (Date.now() > end) {
      throw new Error(
        `Timed out; last value: ${JSON.stringify(value, null, 1).slice(
          0,
          2000,
        )}`,
      );
    }
    await new Promise(r => setTimeout(r, 250));
    value = await probe();
  }
  return value;
}

describe('GitHub ingestion', () => {
  let fake: GithubFake;
  let backend: Awaited<ReturnType<typeof startTestBackend>>;
  // The mock scheduler runs tasks only when triggered (and once at start-up).
  const scheduler = mockServices.scheduler();
  const logs: LogLine[] = [];

  const entities = async (filter: string): Promise<any[]> => {
    const res = await request(backend.server)
      .get(
        `/api/catalog/entities/by-query?filter=${encodeURIComponent(
          filter,
        )}&limit=500`,
      )
      .set('Authorization', mockCredentials.user.header());
    expect(res.status).toBe(200);
    return res.body.items;
  };
  const names = (items: any[]) => items.map(e => e.metadata.name).sort();
  const components = () => entities('kind=component');

  const deliver = (event: string, payload: object, secret = WEBHOOK_SECRET) => {
    const body = JSON.stringify(payload);
    return request(backend.server)
      .post('/api/events/http/github')
      .set('Content-Type', 'application/json')
      .set('X-GitHub-Event', event)
      .set('X-GitHub-Delivery', `delivery-${Math.random()}`)
      .set('X-Hub-Signature-256', signWebhook(secret, body))
      .send(body);
  };
  const addMember = (team: string, user: FakeOrg['users'][number]) => {
    fake.state.users.push(user);
    fake.state.teams.find(t => t.slug === team)!.members!.push(user.login);
  };
  const repositoryPayload = (name: string) => {
    const repo = fake.state.repos.find(r => r.name === name)!;
    return {
      name,
      full_name: `acme/${name}`,
      html_url: `https://github.com/acme/${name}`,
      url: `https://api.github.com/repos/acme/${name}`,
      default_branch: repo.defaultBranch ?? 'main',
      topics: repo.topics ?? [],
      archived: Boolean(repo.isArchived),
      fork: Boolean(repo.isFork),
      visibility: repo.visibility ?? 'private',
      owner: { login: 'acme' },
    };
  };

  beforeAll(async () => {
    fake = await startGithubFake({ state: org() });
    backend = await startPortalBackend({
      fake,
      scheduler,
      logs,
      github: { token: fake.token },
    });
    // The startup run of both providers has completed; wait for processing.
    await eventually(components, items => items.length === 3);
  });

  afterAll(async () => {
    await backend?.stop();
    await fake?.close();
  });

  afterEach(() => fake.clearFaults());

  it('a full sync brings teams with their hierarchy, members with e-mails, and repositories with catalog-info.yaml', async () => {
    expect(names(await components())).toEqual([
      'checkout',
      'ledger',
      'storefront',
    ]);
    // No location for the repository without the file, the archived one, the fork.
    const locations = await entities('kind=location');
    expect(locations.map(l => l.spec.target).sort()).toEqual([
      'https://github.com/acme/checkout/blob/main/catalog-info.yaml',
      'https://github.com/acme/ledger/blob/main/catalog-info.yaml',
      'https://github.com/acme/storefront/blob/main/catalog-info.yaml',
    ]);

    const groups = await eventually(
      () => entities('kind=group'),
      items =>
        items.length === 3 &&
        items.every(g =>
          (g.relations ?? []).some((r: any) => r.type === 'hasMember'),
        ),
    );
    const byName = Object.fromEntries(groups.map(g => [g.metadata.name, g]));
    expect(byName.payments.spec.parent).toBe('engineering');
    expect(byName.engineering.spec.children.sort()).toEqual([
      'payments',
      'web',
    ]);
    const rel = (e: any, type: string) =>
      (e.relations ?? [])
        .filter((r: any) => r.type === type)
        .map((r: any) => r.targetRef)
        .sort();
    expect(rel(byName.engineering, 'parentOf')).toEqual([
      'group:default/payments',
      'group:default/web',
    ]);
    expect(rel(byName.payments, 'hasMember')).toEqual([
      'user:default/ada',
      'user:default/alan',
    ]);

    const users = await entities('kind=user');
    const user = Object.fromEntries(users.map(u => [u.metadata.name, u]));
    expect(Object.keys(user).sort()).toEqual(['ada', 'alan', 'grace']);
    // The e-mails Okta sign-in matches on: verified domain (+tag removed),
    // and the configured mapping for a member GitHub shows no org e-mail for.
    expect(user.ada.spec.profile.email).toBe('ada@acme.com');
    expect(user.alan.spec.profile.email).toBe('alan@acme.com');
    expect(user.grace.spec.profile.email).toBe('grace.hopper@acme.com');
    expect(rel(user.ada, 'memberOf')).toEqual([
      'group:default/engineering',
      'group:default/payments',
    ]);

    const checkout = (
      await entities('kind=component,metadata.name=checkout')
    )[0];
    expect(rel(checkout, 'ownedBy')).toEqual(['group:default/payments']);
    expect(
      checkout.metadata.annotations['backstage.io/managed-by-location'],
    ).toBe('url:https://github.com/acme/checkout/tree/main/catalog-info.yaml');
  });

  it('rejects a webhook delivery with a forged signature (401) and changes nothing', async () => {
    fake.state.repos.find(r => r.name === 'checkout')!.files![
      'catalog-info.yaml'
    ] = catalogInfo('checkout', 'payments').replace(
      'checkout service',
      'forged',
    );
    const before = fake.requests.length;
    const res = await deliver(
      'push',
      {
        ref: 'refs/heads/main',
        repository: repositoryPayload('checkout'),
        organization: { login: 'acme' },
        commits: [{ added: [], removed: [], modified: ['catalog-info.yaml'] }],
      },
      'not-the-secret-at-all',
    );
    expect(res.status).toBe(401);
    expect(res.body.message).toMatch(/X-Hub-Signature-256/);
    const unsigned = await request(backend.server)
      .post('/api/events/http/github')
      .set('Content-Type', 'application/json')
      .set('X-GitHub-Event', 'push')
      .send({ ref: 'refs/heads/main' });
    expect(unsigned.status).toBe(401);
    // Without a Content-Type either: still 401, not a server error.
    const bare = await request(backend.server)
      .post('/api/events/http/github')
      .set('X-GitHub-Event', 'push')
      .send(Buffer.from('{"ref":"refs/heads/main"}'));
    expect(bare.status).toBe(401);
    const bareOtherSpelling = await request(backend.server)
      .post('/api/events/http/GitHub/')
      .set('X-GitHub-Event', 'push')
      .send(Buffer.from('{}'));
    expect(bareOtherSpelling.status).toBe(401);
    const signedButUntyped = await request(backend.server)
      .post('/api/events/http/github')
      .set('X-GitHub-Event', 'push')
      .set('X-Hub-Signature-256', signWebhook(WEBHOOK_SECRET, '{}'))
      .send(Buffer.from('{}'));
    expect(signedButUntyped.status).toBe(415);
    await new Promise(r => setTimeout(r, 3000));
    // Nothing was read from GitHub, nothing changed.
    expect(fake.requests.slice(before)).toEqual([]);
    const checkout = (
      await entities('kind=component,metadata.name=checkout')
    )[0];
    expect(checkout.metadata.description).toBe('checkout service');
    expect(
      logs.some(
        l =>
          l.level === 'warn' &&
          /Rejected GitHub webhook delivery/.test(l.message),
      ),
    ).toBe(true);
  });

  it('a push to the default branch updates that entity only', async () => {
    fake.state.repos.find(r => r.name === 'checkout')!.files![
      'catalog-info.yaml'
    ] = catalogInfo('checkout', 'payments').replace(
      'checkout service',
      'Checkout, now with webhooks',
    );
    const ledgerBefore = (
      await entities('kind=component,metadata.name=ledger')
    )[0];
    const res = await deliver('push', {
      ref: 'refs/heads/main',
      repository: repositoryPayload('checkout'),
      organization: { login: 'acme' },
      commits: [{ added: [], removed: [], modified: ['catalog-info.yaml'] }],
    });
    expect(res.status).toBe(202);
    const [checkout] = await eventually(
      () => entities('kind=component,metadata.name=checkout'),
      items => items[0]?.metadata.description === 'Checkout, now with webhooks',
    );
    expect(checkout.metadata.description).toBe('Checkout, now with webhooks');
    const ledgerAfter = (
      await entities('kind=component,metadata.name=ledger')
    )[0];
    expect(ledgerAfter.metadata.etag).toBe(ledgerBefore.metadata.etag);
  });

  it('a repository created with catalog-info.yaml appears through its repository.created webhook', async () => {
    fake.state.repos.push({
      name: 'inventory',
      files: { 'catalog-info.yaml': catalogInfo('inventory', 'web') },
    });
    const before = fake.requests.length;
    const res = await deliver('repository', {
      action: 'created',
      repository: repositoryPayload('inventory'),
      organization: { login: 'acme' },
    });
    expect(res.status).toBe(202);
    const [inventory] = await eventually(
      () => entities('kind=component,metadata.name=inventory'),
      items => items.length === 1,
    );
    expect(
      inventory.metadata.annotations['backstage.io/managed-by-location'],
    ).toBe('url:https://github.com/acme/inventory/tree/main/catalog-info.yaml');
    // Brought by one repository discovery run (a full listing).
    const listings = fake.requests
      .slice(before)
      .filter(r => r.operation === 'repositories' && !r.cursor);
    expect(listings).toHaveLength(1);
    expect(names(await components())).toEqual([
      'checkout',
      'inventory',
      'ledger',
      'storefront',
    ]);
  });

  it('an archived repository leaves the catalog (webhook)', async () => {
    fake.state.repos.find(r => r.name === 'storefront')!.isArchived = true;
    const res = await deliver('repository', {
      action: 'archived',
      repository: repositoryPayload('storefront'),
      organization: { login: 'acme' },
    });
    expect(res.status).toBe(202);
    await eventually(components, items => !names(items).includes('storefront'));
    expect(names(await components())).toEqual([
      'checkout',
      'inventory',
      'ledger',
    ]);
  });

  it('a member added to a team appears with e-mail and membership (webhook)', async () => {
    addMember('web', {
      login: 'linus',
      name: 'Linus',
      verifiedEmails: ['linus@acme.com'],
    });
    const res = await deliver('membership', {
      action: 'added',
      scope: 'team',
      member: {
        login: 'linus',
        name: 'Linus',
        avatar_url: 'https://avatars.example/linus.png',
        node_id: 'U_linus',
      },
      team: { slug: 'web', name: 'web' },
      organization: { login: 'acme' },
    });
    expect(res.status).toBe(202);
    const [linus] = await eventually(
      () => entities('kind=user,metadata.name=linus'),
      items =>
        items.length === 1 &&
        (items[0].relations ?? []).some((r: any) => r.type === 'memberOf'),
    );
    // The event carries no e-mail; the User still gets the verified one.
    expect(linus.spec.profile.email).toBe('linus@acme.com');
    expect(
      linus.relations
        .filter((r: any) => r.type === 'memberOf')
        .map((r: any) => r.targetRef),
    ).toEqual(['group:default/web']);
    const [web] = await entities('kind=group,metadata.name=web');
    expect(
      web.relations
        .filter((r: any) => r.type === 'hasMember')
        .map((r: any) => r.targetRef)
        .sort(),
    ).toEqual(['user:default/grace', 'user:default/linus']);
  });

  it("rate limits in the middle of listing repositories are waited out, as GitHub's headers say", async () => {
    // GitHub's GraphQL primary limit (HTTP 200, RATE_LIMITED, remaining 0),
    // then a secondary limit (403, retry-after).
    for (const kind of ['rate-limit', 'secondary-rate-limit'] as const) {
      fake.addFault({
        operation: 'repositories',
        paged: true,
        kind,
        resetSeconds: 2,
      });
      const before = fake.requests.length;
      await scheduler.triggerTask(REPO_TASK);
      const calls = fake.requests
        .slice(before)
        .filter(r => r.operation === 'repositories');
      const limited = calls.findIndex(r => r.rateLimited === kind);
      expect(limited).toBeGreaterThan(0); // not the first page
      const retry = calls[limited + 1];
      expect(retry.status).toBe(200);
      expect(retry.rateLimited).toBeUndefined();
      expect(retry.cursor).toBe(calls[limited].cursor);
      expect(retry.at - calls[limited].at).toBeGreaterThanOrEqual(1000);
      expect(names(await components())).toEqual([
        'checkout',
        'inventory',
        'ledger',
      ]);
    }
  });

  it('a rate limit while reading teams and members is waited out and the sync runs again', async () => {
    addMember('payments', {
      login: 'margaret',
      name: 'Margaret Hamilton',
      verifiedEmails: ['margaret@acme.com'],
    });
    fake.addFault({
      operation: 'users',
      paged: true,
      kind: 'rate-limit',
      resetSeconds: 2,
    });
    const before = fake.requests.length;
    const logsBefore = logs.length;
    await scheduler.triggerTask(ORG_TASK);
    const calls = fake.requests.slice(before);
    const limited = calls.findIndex(r => r.rateLimited === 'rate-limit');
    expect(limited).toBeGreaterThan(0);
    // The org provider has no throttling of its own: the sync failed, waited
    // for the reset and ran again from the start.
    const rerun = calls.slice(limited + 1);
    expect(rerun[0].operation).toBe('users');
    expect(rerun[0].cursor).toBeNull();
    expect(rerun[0].at - calls[limited].at).toBeGreaterThanOrEqual(1000);
    expect(
      logs
        .slice(logsBefore)
        .some(
          l =>
            l.level === 'warn' &&
            /GitHub rate limit in task GithubMultiOrgEntityProvider:github:refresh \(GitHub organisation acme, step: listing members, page after cursor \S+, rate limit resets at .*\): running it again in \d s/.test(
              l.message,
            ),
        ),
    ).toBe(true);
    const [margaret] = await eventually(
      () => entities('kind=user,metadata.name=margaret'),
      items => items.length === 1,
    );
    expect(margaret.spec.profile.email).toBe('margaret@acme.com');
    expect(names(await entities('kind=user'))).toEqual([
      'ada',
      'alan',
      'grace',
      'linus',
      'margaret',
    ]);
  });

  it('a rate limit or 502 that does not go away removes nothing, and the next sync completes the job', async () => {
    // Repository listing keeps failing on page 2 (rate limit, then 502s).
    fake.addFault({
      operation: 'repositories',
      paged: true,
      kind: 'rate-limit',
      resetSeconds: 1,
      times: Infinity,
    });
    const logsBefore = logs.length;
    await scheduler.triggerTask(REPO_TASK);
    // Waited out and ran again, up to maxRuns (3), then left to the next run.
    const waits = logs
      .slice(logsBefore)
      .filter(l => /GitHub rate limit in task github-provider/.test(l.message))
      .map(l => l.message);
    expect(waits).toEqual([
      expect.stringMatching(/running it again in \d s/),
      expect.stringMatching(/running it again in \d s/),
      expect.stringMatching(/not waiting \(3 runs so far\)/),
    ]);
    fake.clearFaults();
    fake.addFault({
      operation: 'repositories',
      paged: true,
      kind: 'bad-gateway',
      times: Infinity,
    });
    // Meanwhile a new repository appears and an old one loses its file: a
    // partial listing must not be taken as the whole organisation.
    fake.state.repos.push({
      name: 'fraud-detection',
      files: {
        'catalog-info.yaml': catalogInfo('fraud-detection', 'payments'),
      },
    });
    await scheduler.triggerTask(REPO_TASK);
    // Member listing fails on page 2 with a 502 too.
    fake.addFault({
      operation: 'users',
      paged: true,
      kind: 'bad-gateway',
      times: Infinity,
    });
    await scheduler.triggerTask(ORG_TASK);
    await new Promise(r => setTimeout(r, 2000));

    expect(names(await components())).toEqual([
      'checkout',
      'inventory',
      'ledger',
    ]);
    expect(names(await entities('kind=user'))).toEqual([
      'ada',
      'alan',
      'grace',
      'linus',
      'margaret',
    ]);
    expect(names(await entities('kind=group'))).toEqual([
      'engineering',
      'payments',
      'web',
    ]);
    const failures = logs
      .slice(logsBefore)
      .filter(l => l.level === 'error' && /refresh failed/.test(l.message));
    // Each failure names the organisation and the step that failed.
    const repoFailures = failures.filter(l =>
      /github-provider:repositories/.test(l.message),
    );
    expect(repoFailures.map(l => l.message)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /\(GitHub organisation acme, step: listing repositories, rate limit resets at /,
        ),
        expect.stringMatching(
          /\(GitHub organisation acme, step: listing repositories, page after cursor \S+, HTTP 502\)$/,
        ),
      ]),
    );
    const orgFailure = failures.find(l =>
      /GithubMultiOrgEntityProvider:github/.test(l.message),
    );
    expect(orgFailure?.message).toMatch(
      /\(GitHub organisation acme, step: listing members, page after cursor \S+, HTTP 502\)$/,
    );
    expect(orgFailure?.meta).toMatchObject({
      githubOrganisation: 'acme',
      githubStatus: 502,
    });

    fake.clearFaults();
    await scheduler.triggerTask(REPO_TASK);
    await eventually(components, items =>
      names(items).includes('fraud-detection'),
    );
    expect(names(await components())).toEqual([
      'checkout',
      'fraud-detection',
      'inventory',
      'ledger',
    ]);
  });
});

describe('GitHub ingestion with a GitHub App', () => {
  it('authenticates as the App, uses an installation token, and syncs', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    });
    const fake = await startGithubFake({
      state: org(),
      token: 'no-plain-token-is-configured',
      app: { appId: 4711, publicKey },
    });
    const logs: LogLine[] = [];
    const scheduler = mockServices.scheduler();
    const backend = await startPortalBackend({
      fake,
      scheduler,
      logs,
      github: {
        apps: [
          {
            appId: 4711,
            privateKey,
            clientId: 'Iv1.portal',
            clientSecret: 'client-secret',
          },
        ],
      },
    });
    try {
      const query = (filter: string) =>
        request(backend.server)
          .get(
            `/api/catalog/entities/by-query?filter=${encodeURIComponent(
              filter,
            )}`,
          )
          .set('Authorization', mockCredentials.user.header())
          .then(res => res.body.items.map((e: any) => e.metadata.name).sort());
      expect(
        await eventually(
          () => query('kind=component'),
          items => items.length === 3,
        ),
      ).toEqual(['checkout', 'ledger', 'storefront']);
      expect(await query('kind=user')).toEqual(['ada', 'alan', 'grace']);
      // Installations listed and a token issued with the App's JWT; GitHub
      // was read with that installation token only.
      const paths = fake.requests.map(r => `${r.method} ${r.path} ${r.status}`);
      expect(paths).toContain('GET /app/installations 200');
      expect(paths).toContain('POST /app/installations/4242/access_tokens 201');
      expect(fake.installationTokens.size).toBeGreaterThan(0);
      expect(
        fake.requests.filter(r => r.path === '/graphql' && r.status !== 200),
      ).toEqual([]);
    } finally {
      await backend.stop();
      await fake.close();
    }
  });
});
