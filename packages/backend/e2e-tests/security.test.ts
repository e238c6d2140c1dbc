/*
 * The security suite (issue 16; docs/security.md): every hole an outside
 * review reproduced, tried again as the attacker did, through the Okta
 * stand-in and the GitHub fake against the production server (production
 * tree, NODE_ENV=production, PostgreSQL, no demo layer: no guest), asserting
 * the refusal and that nothing changed; then a black-box battery of the
 * classes such a review tries.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';

/* eslint-disable @typescript-eslint/no-require-imports */
const portal = require('../../../scripts/lib/portal');
const okta = require('../../../scripts/lib/okta');
const sharedOktaUsers = require('../../../scripts/e2e/okta-users');
const {
  catalogInfo,
  signWebhook,
  startGithubFake,
} = require('../../../scripts/lib/github-fake');
/* eslint-enable @typescript-eslint/no-require-imports */

const API_TOKEN = 'e2e-security-api-token-0123456789';
const WEBHOOK_SECRET = 'e2e-security-webhook-secret-0123456789';
const PRIVATE_SECRET = 'db-password-from-the-private-repo';

// Okta: the e2e users (scripts/e2e/okta-users.js): Ada is in the admin
// group; Tim only in web-team (but, on GitHub, in a team named like the admin
// group); Mallory's e-mail claim is built to add a catalog filter. Eve is in
// Okta's Everyone and a group that only looks like the admin group.
const oktaUsers = {
  ...sharedOktaUsers,
  eve: {
    email: 'eve@acme.example',
    name: 'Eve Everyone',
    groups: ['Everyone', 'PORTAL ADMINS!'],
  },
};

const attackerApi = [
  'apiVersion: backstage.io/v1alpha1',
  'kind: API',
  'metadata:',
  '  name: attacker-api',
  '  annotations:',
  '    api-docs/provided-by: component:default/payments-service',
  'spec:',
  '  type: openapi',
  '  lifecycle: production',
  '  owner: group:default/web-team',
  '  definition: |',
  '    openapi: 3.0.0',
  '    info: { title: x, version: "1" }',
  '    servers: [{ url: "https://evil.example" }]',
  '    paths: {}',
  '',
].join('\n');

const group = (name: string) =>
  [
    'apiVersion: backstage.io/v1alpha1',
    'kind: Group',
    'metadata:',
    `  name: ${name}`,
    'spec:',
    '  type: team',
    '  children: []',
    '  members: [tim]',
    '',
  ].join('\n');

test.describe('security: the review, tried again', () => {
  test.describe.configure({ mode: 'serial' });
  let fake: any;
  let pg: any;
  let standIn: any;
  let server: any;
  let dir: string;
  const tokens: Record<string, string> = {};

  const call = (
    method: string,
    urlPath: string,
    token?: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) =>
    fetch(`${server.base}${urlPath}`, {
      method,
      redirect: 'manual',
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const entity = async (ref: string, token = tokens.ada) => {
    const [kind, rest] = ref.split(':');
    const [namespace, name] = rest.split('/');
    const res = await call(
      'GET',
      `/api/catalog/entities/by-name/${kind}/${namespace}/${name}`,
      token,
    );
    return res.status === 200 ? res.json() : undefined;
  };
  const signIn = async (login: string) =>
    (await okta.oktaSignIn({ backendBaseUrl: server.base, login })).message;
  const tokenOf = async (login: string) => {
    const message = await signIn(login);
    expect(message.error, JSON.stringify(message.error)).toBeUndefined();
    return message.response.backstageIdentity.token as string;
  };
  /** A scaffolder task once it has ended, as its creator sees it. */
  const finished = (id: string, token: string) =>
    portal.waitFor('the task to finish', async () => {
      const t = await (
        await call('GET', `/api/scaffolder/v2/tasks/${id}`, token)
      ).json();
      return ['failed', 'completed', 'cancelled'].includes(t.status)
        ? t
        : undefined;
    });
  const errorOf = async (res: Response) => {
    const text = await res.text();
    try {
      return JSON.parse(text).error?.message ?? text;
    } catch {
      return text;
    }
  };

  test.beforeAll(async () => {
    test.setTimeout(300_000);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-security-'));
    fake = await startGithubFake({
      state: {
        org: 'acme',
        users: [
          { login: 'ada', verifiedEmails: ['ada.lovelace@acme.example'] },
          { login: 'alan', verifiedEmails: ['alan.turing@acme.example'] },
          { login: 'tim', verifiedEmails: ['tim.berners-lee@acme.example'] },
          { login: 'eve', verifiedEmails: ['eve@acme.example'] },
        ],
        teams: [
          { slug: 'payments-team', name: 'payments-team', members: ['alan'] },
          { slug: 'web-team', name: 'web-team', members: ['tim'] },
          // Any org member may create a team; Tim named his like the admins.
          { slug: 'portal-admins', name: 'Portal Admins', members: ['tim'] },
        ],
        repos: [
          {
            name: 'payments-service',
            files: {
              'catalog-info.yaml': catalogInfo(
                'payments-service',
                'payments-team',
              ),
              'extra.yaml': [
                'apiVersion: backstage.io/v1alpha1',
                'kind: Resource',
                'metadata:',
                '  name: payments-db',
                'spec:',
                '  type: database',
                '  owner: group:default/payments-team',
                '',
              ].join('\n'),
            },
          },
          {
            name: 'private-repo',
            visibility: 'private',
            files: { 'secrets.yaml': `password: ${PRIVATE_SECRET}\n` },
          },
          {
            // A repository Tim controls (not discovered: no catalog-info.yaml).
            name: 'tims-repo',
            files: {
              'api.yaml': attackerApi,
              'group.yaml': group('tims-admins'),
              'file-location.yaml': [
                'apiVersion: backstage.io/v1alpha1',
                'kind: Location',
                'metadata:',
                '  name: steal',
                'spec:',
                '  type: file',
                '  target: /etc/passwd',
                '',
              ].join('\n'),
            },
          },
        ],
      },
    });
    pg = portal.startPostgres(path.join(portal.workDir, 'e2e-security-pg'));
    const port = await portal.freePort();
    const client = {
      clientId: 'portal-security',
      clientSecret: 'secret-security-0123456789',
    };
    standIn = await okta.startOktaStandIn({
      users: oktaUsers,
      clients: [
        {
          client_id: client.clientId,
          client_secret: client.clientSecret,
          redirect_uris: [
            `http://127.0.0.1:${port}/api/auth/okta/handler/frame`,
          ],
        },
      ],
    });
    // The group-limited template of the demo data, and nothing else of it.
    const layer = path.join(dir, 'app-config.security.yaml');
    fs.writeFileSync(
      layer,
      JSON.stringify({
        catalog: {
          locations: [
            { type: 'file', target: './catalog-info.yaml' },
            {
              type: 'file',
              target: './templates/*/template.yaml',
              rules: [{ allow: ['Template'] }],
            },
            {
              type: 'file',
              target: './examples/templates/platform-database.yaml',
              rules: [{ allow: ['Template'] }],
            },
          ],
        },
        search: {
          collators: {
            catalog: {
              schedule: {
                frequency: { minutes: 0, seconds: 15 },
                timeout: { minutes: 2 },
                initialDelay: { seconds: 1 },
              },
            },
          },
        },
      }),
    );
    server = portal.startServer({
      tree: process.env.PORTAL_TREE,
      env: {
        ...portal.contractEnv({
          pg,
          port,
          token: API_TOKEN,
          okta: {
            ...client,
            audience: standIn.audience,
            authServerId: 'default',
          },
        }),
        GITHUB_ORG: 'acme',
        GITHUB_TOKEN: fake.token,
        GITHUB_API_URL: fake.url,
        GITHUB_WEBHOOK_SECRET: WEBHOOK_SECRET,
      },
      extraArgs: ['--config', layer],
      logFile: path.join(portal.workDir, 'e2e-security.log'),
    });
    await server.waitReady();
    // The GitHub org and repository discovery have run: Tim's GitHub team
    // is in the catalog, with him as a member.
    const api = (ref: string) =>
      fetch(`${server.base}/api/catalog/entities/by-name/${ref}`, {
        headers: { authorization: `Bearer ${API_TOKEN}` },
      }).then(r => (r.status === 200 ? r.json() : undefined));
    await portal.waitFor(
      'the GitHub org and the payments service in the catalog',
      async () => {
        const [team, service, user] = await Promise.all([
          api('group/default/portal-admins'),
          api('component/default/payments-service'),
          api('user/default/tim'),
        ]);
        return team && service && user ? true : undefined;
      },
      120_000,
    );
    for (const login of ['ada', 'alan', 'tim']) {
      tokens[login] = await tokenOf(login);
    }
  });

  test.afterAll(async () => {
    await server?.stop();
    await standIn?.stop();
    await fake?.close();
    pg?.stop();
  });

  test('1. a GitHub team named like the admin group makes nobody admin', async () => {
    const tim = (await signIn('tim')).response.backstageIdentity.identity;
    // The team is a catalog membership (ownership), never the admin role.
    expect(tim.ownershipEntityRefs).toContain('group:default/portal-admins');
    expect(tim.ownershipEntityRefs).not.toContain('role:portal/admin');
    const service = await entity('component:default/payments-service');
    // Alan (a member) registers a file of his team's repository.
    const registered = await call(
      'POST',
      '/api/catalog/locations',
      tokens.alan,
      {
        type: 'url',
        target: 'https://github.com/acme/payments-service/blob/main/extra.yaml',
      },
    );
    expect(registered.status).toBe(201);
    const locationId = (await registered.json()).location.id;

    const attempts = [
      call('DELETE', `/api/catalog/locations/${locationId}`, tokens.tim),
      call(
        'DELETE',
        `/api/catalog/entities/by-uid/${service.metadata.uid}`,
        tokens.tim,
      ),
      call('POST', '/api/catalog/refresh', tokens.tim, {
        entityRef: 'component:default/payments-service',
      }),
    ];
    for (const res of await Promise.all(attempts)) {
      expect(res.status).toBe(403);
    }
    expect(await entity('template:default/platform-database', tokens.tim)).toBe(
      undefined,
    );
    // Nothing changed.
    expect(
      (await entity('component:default/payments-service')).metadata.uid,
    ).toBe(service.metadata.uid);
    expect(
      (await call('GET', `/api/catalog/locations/${locationId}`, tokens.ada))
        .status,
    ).toBe(200);
    // Ada, in the Okta admin group, may (positive control).
    expect(
      (
        await call('POST', '/api/catalog/refresh', tokens.ada, {
          entityRef: 'component:default/payments-service',
        })
      ).status,
    ).toBe(200);
    expect(
      await entity('template:default/platform-database', tokens.ada),
    ).toBeDefined();
    // Okta groups that only look like the admin group, and Everyone.
    const eveMessage = await signIn('eve');
    expect(eveMessage.error, JSON.stringify(eveMessage.error)).toBeUndefined();
    const eve = eveMessage.response.backstageIdentity.identity;
    expect(eve.ownershipEntityRefs).not.toContain('role:portal/admin');
    expect(eve.ownershipEntityRefs).not.toContain('role:portal/member');
  });

  test('2. a dry-run cannot read a private repository', async () => {
    const body = (action: string) => ({
      template: {
        apiVersion: 'scaffolder.backstage.io/v1beta3',
        kind: 'Template',
        metadata: { name: 'steal' },
        spec: {
          type: 'service',
          steps: [
            {
              id: 'fetch',
              action,
              input: { url: 'https://github.com/acme/private-repo' },
            },
          ],
        },
      },
      values: {},
      directoryContents: [],
    });
    for (const action of [
      'fetch:plain',
      'fetch:plain:file',
      'portal:fetch:plain',
    ]) {
      const res = await call(
        'POST',
        '/api/scaffolder/v2/dry-run',
        tokens.tim,
        body(action),
      );
      expect(res.status).toBe(403);
      expect(await res.text()).not.toContain(PRIVATE_SECRET);
    }
    // Even where a dry-run is allowed (an admin), portal:fetch:plain keeps to
    // the template's own folder.
    const admin = await call(
      'POST',
      '/api/scaffolder/v2/dry-run',
      tokens.ada,
      body('portal:fetch:plain'),
    );
    expect(await admin.text()).not.toContain(PRIVATE_SECRET);
    // An invalid template is a 400 with the reason, not a 500.
    const invalid = await call(
      'POST',
      '/api/scaffolder/v2/dry-run',
      tokens.ada,
      {
        ...body('debug:log'),
        template: { kind: 'Template' },
      },
    );
    expect(invalid.status).toBe(400);
    expect(await errorOf(invalid)).toMatch(/^Invalid template: /);
  });

  test("3. another user's task cannot be listed, read, streamed or cancelled", async () => {
    // Alan's task: an import into an organisation that is not allowed.
    const created = await call(
      'POST',
      '/api/scaffolder/v2/tasks',
      tokens.alan,
      {
        templateRef: 'template:default/import-repository',
        values: {
          repoUrl: 'github.com?owner=evil-corp&repo=payments-service',
          name: 'payments-service',
          owner: 'group:default/payments-team',
          type: 'service',
          lifecycle: 'production',
        },
      },
    );
    expect(created.status).toBe(201);
    const { id } = await created.json();
    for (const [method, suffix] of [
      ['GET', ''],
      ['GET', '/events'],
      ['GET', '/eventstream'],
      ['POST', '/cancel'],
    ]) {
      const res = await call(
        method,
        `/api/scaffolder/v2/tasks/${id}${suffix}`,
        tokens.tim,
      );
      expect(`${method} ${suffix} ${res.status}`).toBe(
        `${method} ${suffix} 403`,
      );
      await res.body?.cancel();
    }
    const list = await (
      await call('GET', '/api/scaffolder/v2/tasks', tokens.tim)
    ).json();
    expect(list.tasks.map((t: any) => t.id)).not.toContain(id);
    const all = await (
      await call('GET', '/api/scaffolder/v2/tasks', tokens.ada)
    ).json();
    expect(all.tasks.map((t: any) => t.id)).toContain(id);

    // Alan's own view: failed on the owner allow-list, a message, no stack.
    const task = await finished(id, tokens.alan);
    expect(task.status).toBe('failed');
    const log = (
      await (
        await call('GET', `/api/scaffolder/v2/tasks/${id}/events`, tokens.alan)
      ).json()
    )
      .map((e: any) => e.body?.message ?? '')
      .join('\n');
    expect(log).toContain("'evil-corp' is not allowed");
    expect(log).not.toMatch(/^\s+at /m);
    expect(log).not.toContain('node_modules');
    expect(fake.requests.some((r: any) => r.path.includes('evil-corp'))).toBe(
      false,
    );
  });

  test("4. an API registered by a user does not attach itself to another team's component", async () => {
    const target = 'https://github.com/acme/tims-repo/blob/main/api.yaml';
    const res = await call('POST', '/api/catalog/locations', tokens.tim, {
      type: 'url',
      target,
    });
    expect(res.status).toBe(201);
    const api = await portal.waitFor('the registered API', () =>
      entity('api:default/attacker-api'),
    );
    expect(api.metadata.annotations['api-docs/provided-by']).toBe(
      'component:default/payments-service',
    );
    // Give the relations processor a chance, then check both sides.
    await new Promise(r => setTimeout(r, 3000));
    const service = await entity('component:default/payments-service');
    const relations = (e: any) =>
      (e.relations ?? []).map((r: any) => `${r.type} ${r.targetRef}`);
    expect(relations(service)).not.toContain(
      'providesApi api:default/attacker-api',
    );
    expect(relations(await entity('api:default/attacker-api'))).not.toContain(
      'apiProvidedBy component:default/payments-service',
    );
  });

  test('5. an e-mail claim with a catalog filter in it signs nobody in', async () => {
    const message = await signIn('mallory');
    expect(message.response).toBeUndefined();
    expect(message.error.message).not.toContain('ada.lovelace');
  });

  test('6. a replayed webhook delivery is acknowledged and ignored', async () => {
    const body = JSON.stringify({
      zen: 'Keep it logically awesome.',
      hook_id: 1,
      organization: { login: 'acme' },
    });
    const deliver = () =>
      fetch(`${server.base}/api/events/http/github`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'ping',
          'x-github-delivery': 'security-replay-1',
          'x-hub-signature-256': signWebhook(WEBHOOK_SECRET, body),
        },
        body,
      });
    const first = await deliver();
    expect(first.status).toBe(202);
    const replay = await deliver();
    expect(replay.status).toBe(200);
    expect(await replay.text()).toMatch(/already processed/i);
    // Forged, and too large: refused before anything is parsed.
    const forged = await fetch(`${server.base}/api/events/http/github`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'ping',
        'x-github-delivery': 'security-forged-1',
        'x-hub-signature-256': signWebhook('not-the-secret', body),
      },
      body,
    });
    expect(forged.status).toBe(401);
    const big = 'x'.repeat(1_100_000);
    const oversized = await fetch(`${server.base}/api/events/http/github`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'ping',
        'x-github-delivery': 'security-big-1',
        'x-hub-signature-256': signWebhook(WEBHOOK_SECRET, big),
      },
      body: big,
    });
    expect(oversized.status).toBe(413);
  });

  test('7. sign-in, headers and templates: the smaller findings', async () => {
    // Production's CSP: an explicit connect-src, no http:/https: wildcard.
    const page = await fetch(`${server.base}/`);
    const csp = page.headers.get('content-security-policy') ?? '';
    const connect = /connect-src ([^;]*)/.exec(csp)?.[1] ?? '';
    expect(connect).toContain("'self'");
    expect(connect.split(' ')).not.toContain('https:');
    expect(connect.split(' ')).not.toContain('http:');
    // The guest provider is not loaded in production.
    for (const p of ['/api/auth/guest/refresh', '/api/auth/guest/start']) {
      const res = await call('GET', p);
      expect(res.status).toBe(404);
    }
    // Only admins publish public repositories.
    const publicRepo = await call(
      'POST',
      '/api/scaffolder/v2/tasks',
      tokens.tim,
      {
        templateRef: 'template:default/library',
        values: {
          name: 'leaky',
          owner: 'group:default/web-team',
          repoUrl: 'github.com?owner=acme&repo=leaky',
          visibility: 'public',
        },
      },
    );
    expect(publicRepo.status).toBe(201);
    const { id } = await publicRepo.json();
    const task = await finished(id, tokens.tim);
    expect(task.status).toBe('failed');
    const log = JSON.stringify(
      await (
        await call('GET', `/api/scaffolder/v2/tasks/${id}/events`, tokens.tim)
      ).json(),
    );
    expect(log).toContain('Only portal admins may publish public repositories');
    expect(fake.created.leaky).toBeUndefined();
  });

  test('8. a group-limited template cannot be read, run or found by others', async () => {
    const ref = 'template:default/platform-database';
    expect(await entity(ref, tokens.tim)).toBeUndefined();
    const run = await call('POST', '/api/scaffolder/v2/tasks', tokens.tim, {
      templateRef: ref,
      values: {},
    });
    expect([403, 404]).toContain(run.status);
    const search = (token: string) =>
      call('GET', '/api/search/query?term=Cloud%20SQL%20database', token).then(
        r => r.json(),
      );
    const found = (result: any) =>
      result.results.some((r: any) =>
        String(r.document.location).includes('platform-database'),
      );
    // Ada finds it once the collator has run (positive control); Tim never.
    let last: any;
    await portal
      .waitFor(
        'the search index',
        async () => {
          last = await search(tokens.ada);
          return found(last) ? true : undefined;
        },
        40_000,
      )
      .catch(e => {
        console.log(JSON.stringify(last).slice(0, 3000));
        throw e;
      });
    expect(found(await search(tokens.tim))).toBe(false);
  });
});

test.describe('security: black-box battery', () => {
  // The suite's main server (scripts/e2e/global-setup.js): demo layer with
  // guest sign-in (dangerouslyAllowOutsideDevelopment), static API token.
  const base = () => process.env.PORTAL_URL!;
  const apiToken = () => process.env.PORTAL_API_TOKEN!;
  const call = (
    method: string,
    urlPath: string,
    headers: Record<string, string> = {},
    body?: string,
  ) =>
    fetch(`${base()}${urlPath}`, { method, headers, body, redirect: 'manual' });

  const guestToken = async (): Promise<string> =>
    (
      await (
        await call('GET', '/api/auth/guest/refresh', {
          'x-requested-with': 'XMLHttpRequest',
        })
      ).json()
    ).backstageIdentity.token;

  test('every plugin refuses anonymous requests', async () => {
    for (const [method, p] of [
      ['GET', '/api/catalog/entities'],
      ['GET', '/api/catalog/locations'],
      ['POST', '/api/catalog/locations'],
      ['GET', '/api/scaffolder/v2/tasks'],
      ['GET', '/api/scaffolder/v2/actions'],
      ['POST', '/api/scaffolder/v2/dry-run'],
      ['GET', '/api/search/query?term=x'],
      ['POST', '/api/permission/authorize'],
      ['GET', '/api/user-settings/buckets/x/keys/y'],
      ['GET', '/api/events/bus/v1/subscriptions/x/events'],
    ]) {
      const res = await call(
        method,
        p,
        { 'content-type': 'application/json' },
        method === 'POST' ? '{}' : undefined,
      );
      expect(`${method} ${p} ${res.status}`).toBe(`${method} ${p} 401`);
    }
  });

  test('the static token reads and writes nothing else', async () => {
    const auth = { authorization: `Bearer ${apiToken()}` };
    expect(
      (await call('GET', '/api/catalog/entities?limit=1', auth)).status,
    ).toBe(200);
    const json = { ...auth, 'content-type': 'application/json' };
    for (const [method, p, body] of [
      [
        'POST',
        '/api/catalog/locations',
        JSON.stringify({
          type: 'url',
          target: 'https://github.com/acme/x/blob/main/c.yaml',
        }),
      ],
      [
        'POST',
        '/api/catalog/refresh',
        JSON.stringify({ entityRef: 'component:default/payments-service' }),
      ],
      [
        'POST',
        '/api/scaffolder/v2/tasks',
        JSON.stringify({ templateRef: 'template:default/library', values: {} }),
      ],
    ]) {
      const res = await call(method, p, json, body);
      expect(`${p} ${res.status}`).toBe(`${p} 403`);
    }
  });

  test('file, metadata-server and foreign locations cannot be registered', async () => {
    const token = await guestToken();
    const json = {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
    };
    for (const location of [
      { type: 'file', target: '/etc/passwd' },
      { type: 'url', target: 'file:///etc/passwd' },
      { type: 'url', target: 'http://169.254.169.254/computeMetadata/v1/' },
      {
        type: 'url',
        target: 'http://metadata.google.internal/computeMetadata/v1/',
      },
      {
        type: 'url',
        target: 'https://github.com.evil.example/acme/x/blob/main/c.yaml',
      },
      {
        type: 'url',
        target: 'https://user@github.com/acme/x/blob/main/c.yaml',
      },
    ]) {
      for (const p of [
        '/api/catalog/locations',
        '/api/catalog/analyze-location',
      ]) {
        const res = await call(
          'POST',
          p,
          json,
          JSON.stringify(
            p.endsWith('analyze-location') ? { location: location } : location,
          ),
        );
        expect(`${p} ${location.target} ${res.status}`).toBe(
          `${p} ${location.target} 400`,
        );
      }
    }
    const locations = await (
      await call('GET', '/api/catalog/locations', json)
    ).json();
    expect(JSON.stringify(locations)).not.toContain('/etc/passwd');
    expect(JSON.stringify(locations)).not.toContain('169.254.169.254');
  });

  test('oversized and malformed bodies; hostile tokens and cookies', async () => {
    const token = await guestToken();
    const json = {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
    };
    const big = await call(
      'POST',
      '/api/catalog/refresh',
      json,
      JSON.stringify({ entityRef: 'x'.repeat(300_000) }),
    );
    expect(big.status).toBe(413);
    const malformed = await call(
      'POST',
      '/api/catalog/refresh',
      json,
      '{"entityRef":',
    );
    expect(malformed.status).toBe(400);
    const text = await malformed.text();
    expect(text).not.toMatch(/\s+at \S+ \(/);
    expect(text).not.toContain('node_modules');
    for (const bad of [
      'Bearer garbage',
      `Bearer ${token.slice(0, -4)}AAAA`,
      'Basic YWRtaW46YWRtaW4=',
      `Bearer ${token}x`,
    ]) {
      const res = await call('GET', '/api/catalog/entities?limit=1', {
        authorization: bad,
      });
      expect(res.status).toBe(401);
    }
    // A forged refresh cookie gets no session.
    const forged = await call('GET', '/api/auth/okta/refresh?env=production', {
      'x-requested-with': 'XMLHttpRequest',
      cookie: 'okta-refresh-token=forged-value',
    });
    expect(forged.status).toBeGreaterThanOrEqual(400);
    expect(forged.status).toBeLessThan(500);
  });
});
