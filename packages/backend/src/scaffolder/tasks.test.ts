/*
 * Scaffolder tasks under the portal's policy (issue 16): a user reads,
 * streams, cancels and lists only their own tasks; admins see all; the
 * dry-run is for template authors and admins; task logs carry messages,
 * never stack traces or server paths; an invalid dry-run template is a 400.
 * Real scaffolder and the portal's policy; users by token.
 */
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import {
  coreServices,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
import { PortalPermissionPolicy } from '@internal/backstage-plugin-permission-backend-module-portal-policy';
import portalScaffolderModule from '@internal/backstage-plugin-scaffolder-backend-module-portal-github';
import request from 'supertest';
import { templateEntity } from '../__testUtils__/templates';
// eslint-disable-next-line @backstage/no-relative-monorepo-imports
import {
  GithubFake,
  startGithubFake,
} from '../../../../scripts/lib/github-fake';

jest.setTimeout(120_000);

const refs: Record<string, string[]> = {
  'user:default/alice': ['group:default/web-team', 'role:portal/member'],
  'user:default/bob': ['group:default/web-team', 'role:portal/member'],
  'user:default/ada': ['role:portal/admin'],
  'user:default/author': ['role:portal/template-author'],
};
const as = (user: string) =>
  mockCredentials.user.header(`user:default/${user}`);

// The portal's policy, asked in-process: the mock auth service drops the
// plugin actor from on-behalf-of tokens, which the permission backend needs
// before it returns conditional decisions to a plugin.
const policy = new PortalPermissionPolicy({
  userInfo: {
    getUserInfo: async (credentials: any) => {
      const userEntityRef = credentials.principal.userEntityRef;
      return {
        userEntityRef,
        ownershipEntityRefs: [userEntityRef, ...(refs[userEntityRef] ?? [])],
      };
    },
  },
});
const decide = (permission: any, credentials: any) =>
  policy.handle({ permission }, { credentials, info: {} as any });
const permissions = createServiceFactory({
  service: coreServices.permissions,
  deps: {},
  factory: () => ({
    async authorizeConditional(requests: any[], { credentials }: any) {
      return Promise.all(requests.map(r => decide(r.permission, credentials)));
    },
    async authorize(requests: any[], { credentials }: any) {
      return Promise.all(
        requests.map(async r => {
          const decision = await decide(r.permission, credentials);
          // The scaffolder asks authorize() only for basic permissions.
          return decision.result === AuthorizeResult.CONDITIONAL
            ? { result: AuthorizeResult.DENY }
            : decision;
        }),
      );
    },
  }),
});

const template = (name: string, steps: object[]): Entity => ({
  apiVersion: 'scaffolder.backstage.io/v1beta3',
  kind: 'Template',
  metadata: {
    name,
    namespace: 'default',
    annotations: {
      'backstage.io/managed-by-location':
        'url:https://github.com/acme/templates/blob/main/x/template.yaml',
    },
  },
  spec: { type: 'service', owner: 'group:default/web-team', steps },
});

const catalogUser = (name: string, login?: string): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'User',
  metadata: {
    name,
    namespace: 'default',
    ...(login && { annotations: { 'github.com/user-login': login } }),
  },
  spec: { memberOf: ['web-team'] },
});

describe('scaffolder tasks under the portal policy', () => {
  let backend: Awaited<ReturnType<typeof startTestBackend>>;

  let fake: GithubFake;

  beforeAll(async () => {
    fake = await startGithubFake({
      state: {
        org: 'acme',
        users: [{ login: 'alice' }, { login: 'bob' }],
        teams: [],
        repos: [
          {
            name: 'alices-service',
            files: { 'README.md': '# hers\n' },
            collaborators: { alice: 'write' },
          },
          { name: 'someone-elses', files: { 'README.md': '# not hers\n' } },
        ],
      },
    });
    backend = await startTestBackend({
      features: [
        mockServices.rootConfig.factory({
          data: {
            backend: { baseUrl: 'http://localhost:7007' },
            permission: { enabled: true },
            integrations: {
              github: [
                { host: 'github.com', apiBaseUrl: fake.url, token: fake.token },
              ],
            },
            portal: { scaffolder: { github: { allowedOwners: ['acme'] } } },
          },
        }),
        permissions,
        catalogServiceMock.factory({
          entities: [
            catalogUser('alice', 'alice'),
            catalogUser('bob'),
            {
              apiVersion: 'backstage.io/v1alpha1',
              kind: 'Group',
              metadata: { name: 'web-team', namespace: 'default' },
              spec: { type: 'team', children: [] },
            },
            templateEntity('import-repository'),
            template('reads-private', [
              {
                id: 'fetch',
                action: 'portal:fetch:plain',
                input: { url: 'https://github.com/acme/private-repo' },
              },
            ]),
            template('upstream-fetch', [
              {
                id: 'fetch',
                action: 'fetch:plain',
                input: { url: 'https://github.com/acme/private-repo' },
              },
            ]),
            template('waits', [
              { id: 'wait', action: 'debug:wait', input: { seconds: 30 } },
              { id: 'log', action: 'debug:log', input: { message: 'after' } },
            ]),
          ],
        }),
        scaffolderPlugin,
        portalScaffolderModule,
      ],
    });
  });

  afterAll(async () => {
    await backend?.stop();
    await fake?.close();
  });

  const api = () => request(backend.server);
  const start = async (user: string, name: string) => {
    const res = await api()
      .post('/api/scaffolder/v2/tasks')
      .set('Authorization', as(user))
      .send({ templateRef: `template:default/${name}`, values: {} });
    expect({ status: res.status }).toMatchObject({
      status: 201,
    });
    return res.body.id as string;
  };
  const settle = async (user: string, id: string) => {
    for (let i = 0; i < 200; i++) {
      const task = (
        await api()
          .get(`/api/scaffolder/v2/tasks/${id}`)
          .set('Authorization', as(user))
      ).body;
      if (['completed', 'failed', 'cancelled'].includes(task.status)) {
        return task;
      }
      await new Promise(r => setTimeout(r, 150));
    }
    throw new Error(`task ${id} did not finish`);
  };
  const messages = async (user: string, id: string) => {
    const res = await api()
      .get(`/api/scaffolder/v2/tasks/${id}/events`)
      .set('Authorization', as(user));
    expect(res.status).toBe(200);
    return (res.body as any[]).map(e => String(e.body?.message ?? ''));
  };

  it("fetches nothing outside the template's folder, and logs no stack", async () => {
    const id = await start('alice', 'reads-private');
    expect((await settle('alice', id)).status).toBe('failed');
    const log = (await messages('alice', id)).join('\n');
    expect(log).toContain(
      "Templates may not fetch 'https://github.com/acme/private-repo' is outside the template's own folder",
    );
    expect(log).not.toMatch(/^\s+at /m);
    expect(log).not.toContain(process.cwd());
    expect(log).not.toContain('node_modules');
  });

  it("refuses upstream's fetch action to a user, before anything is read", async () => {
    const id = await start('alice', 'upstream-fetch');
    expect((await settle('alice', id)).status).toBe('failed');
    expect((await messages('alice', id)).join('\n')).toMatch(
      /Unauthorized|not allowed|permission/i,
    );
  });

  it("hides another user's task: read, events, cancel and list", async () => {
    const id = await start('alice', 'waits');
    for (const call of [
      api().get(`/api/scaffolder/v2/tasks/${id}`),
      api().get(`/api/scaffolder/v2/tasks/${id}/events`),
      api().post(`/api/scaffolder/v2/tasks/${id}/cancel`),
      api().post(`/api/scaffolder/v2/tasks/${id}/retry`).send({}),
    ]) {
      const res = await call.set('Authorization', as('bob'));
      expect(res.status).toBe(403);
    }
    const bobsList = await api()
      .get('/api/scaffolder/v2/tasks')
      .set('Authorization', as('bob'));
    expect(bobsList.body.tasks.map((t: any) => t.id)).not.toContain(id);
    const adminList = await api()
      .get('/api/scaffolder/v2/tasks')
      .set('Authorization', as('ada'));
    expect(adminList.body.tasks.map((t: any) => t.id)).toContain(id);
    // Bob's cancel changed nothing; Alice's own cancel stops the task.
    const alice = await api()
      .get(`/api/scaffolder/v2/tasks/${id}`)
      .set('Authorization', as('alice'));
    expect(alice.body.status).toBe('processing');
    const cancel = await api()
      .post(`/api/scaffolder/v2/tasks/${id}/cancel`)
      .set('Authorization', as('alice'));
    expect(cancel.status).toBe(200);
    // Upstream ends a cancelled task as cancelled or failed (the aborted
    // step throws); either way the next step never runs.
    expect(['cancelled', 'failed']).toContain(
      (await settle('alice', id)).status,
    );
    expect(await messages('alice', id)).not.toContain('after');
  });

  const dryRun = (user: string, body: object) =>
    api()
      .post('/api/scaffolder/v2/dry-run')
      .set('Authorization', as(user))
      .send(body);
  const inline = {
    template: {
      apiVersion: 'scaffolder.backstage.io/v1beta3',
      kind: 'Template',
      metadata: { name: 'inline' },
      spec: {
        type: 'service',
        steps: [
          {
            id: 'fetch',
            action: 'fetch:plain',
            input: { url: 'https://github.com/acme/private-repo' },
          },
        ],
      },
    },
    values: {},
    directoryContents: [],
  };

  it('lets only template authors and admins dry-run', async () => {
    const res = await dryRun('alice', inline);
    expect(res.status).toBe(403);
    expect(JSON.stringify(res.body)).not.toContain('directoryContents');
  });

  it("keeps upstream's fetch from a template author's dry-run", async () => {
    const res = await dryRun('author', inline);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.body.directoryContents ?? []).toEqual([]);
  });

  it('answers an invalid dry-run template with 400 and the reason', async () => {
    for (const invalid of [
      'not an object',
      { apiVersion: 'scaffolder.backstage.io/v1beta3', kind: 'Template' },
      { ...inline.template, spec: { type: 'x' } },
    ]) {
      const res = await dryRun('author', { ...inline, template: invalid });
      expect(res.status).toBe(400);
      expect(res.body.error.message).toMatch(/^Invalid template: /);
      expect(JSON.stringify(res.body)).not.toMatch(/\s+at \S+ \(/);
    }
  });

  it("opens an import pull request only where the user's GitHub account may push", async () => {
    const run = async (who: string, repo: string) => {
      const res = await api()
        .post('/api/scaffolder/v2/tasks')
        .set('Authorization', as(who))
        .send({
          templateRef: 'template:default/import-repository',
          values: {
            repoUrl: `github.com?owner=acme&repo=${repo}`,
            name: repo,
            owner: 'group:default/web-team',
            type: 'service',
            lifecycle: 'production',
          },
        });
      expect(res.status).toBe(201);
      const task = await settle(who, res.body.id);
      return { task, log: (await messages(who, res.body.id)).join('\n') };
    };
    const refused = await run('alice', 'someone-elses');
    expect(refused.task.status).toBe('failed');
    expect(refused.log).toContain(
      'Your GitHub account alice may not push to acme/someone-elses',
    );
    expect(fake.gitData['someone-elses']?.pulls ?? []).toEqual([]);
    const noLogin = await run('bob', 'alices-service');
    expect(noLogin.task.status).toBe('failed');
    expect(noLogin.log).toContain('Your catalog user has no GitHub account');

    const opened = await run('alice', 'alices-service');
    expect(opened.log).not.toContain('may not push');
    expect(opened.task.status).toBe('completed');
    expect(fake.gitData['alices-service'].pulls).toHaveLength(1);
  });
});
