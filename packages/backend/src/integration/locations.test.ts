import fs from 'node:fs';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import path from 'node:path';
import request from 'supertest';
import {
  createBackendModule,
  createServiceFactory,
  coreServices,
  LoggerService,
} from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { databaseServiceFactory } from '@backstage/backend-defaults/database';
import { schedulerServiceFactory } from '@backstage/backend-defaults/scheduler';
import { urlReaderServiceFactory } from '@backstage/backend-defaults/urlReader';
import { Entity } from '@backstage/catalog-model';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import catalogLogs from '@backstage/plugin-catalog-backend-module-logs';
import { catalogProcessingExtensionPoint } from '@backstage/plugin-catalog-node';
import portalLocations from '@internal/backstage-plugin-catalog-backend-module-portal-locations';
import { tempDir, waitFor } from '../__testUtils__/testBackend';

/*
 * The catalog as packages/backend runs it with the portal-locations module
 * and the recommended catalog.rules (docs/security.md): what users may
 * register through the API, and which kinds a registered location may
 * create, against a local server standing in for the organisation's GitHub.
 */

jest.setTimeout(120_000);

const auth = mockCredentials.user.header('user:default/mallory');
type Server = Parameters<typeof request>[0];

const yaml = (kind: string, name: string, spec: string) =>
  `apiVersion: backstage.io/v1alpha1\nkind: ${kind}\nmetadata:\n  name: ${name}\nspec:\n${spec}`;
const component = (name: string) =>
  yaml(
    'Component',
    name,
    '  type: service\n  lifecycle: production\n  owner: group:default/team-a\n',
  );
const group = (name: string) =>
  yaml('Group', name, '  type: team\n  children: []\n');
const user = (name: string) => yaml('User', name, '  memberOf: []\n');

/** The repositories' files on the stand-in for GitHub. */
const files: Record<string, string> = {
  '/acme/service/catalog-info.yaml': component('registered-service'),
  '/acme/discovered/catalog-info.yaml': component('discovered-service'),
  '/acme/team/catalog-info.yaml': `${group('forged-admins')}---\n${user(
    'forged-user',
  )}`,
  '/acme/files/catalog-info.yaml': yaml(
    'Location',
    'reads-files',
    '  type: file\n  target: /etc/hostname\n',
  ),
  '/evil/service/catalog-info.yaml': component('outside-service'),
};

/** Collects every plugin's warnings (and prints them with PORTAL_TEST_LOG=1). */
const warnings: string[] = [];
const collectingLogger: LoggerService = {
  warn: (message: string) => {
    warnings.push(message);
    if (process.env.PORTAL_TEST_LOG) console.warn(message);
  },
  error: () => {},
  info: () => {},
  debug: () => {},
  child: () => collectingLogger,
};
const loggerFactory = createServiceFactory({
  service: coreServices.logger,
  deps: {},
  factory: () => collectingLogger,
});

/**
 * What the GitHub providers do: the org provider emits Groups and Users
 * directly, repository discovery one Location per repository (type url).
 */
const providersLikeGithub = (host: string) =>
  createBackendModule({
    pluginId: 'catalog',
    moduleId: 'test-github-like-providers',
    register(env) {
      env.registerInit({
        deps: { catalog: catalogProcessingExtensionPoint },
        async init({ catalog }) {
          const target = `http://${host}/acme/discovered/catalog-info.yaml`;
          const annotations = (where: string) => ({
            'backstage.io/managed-by-location': where,
            'backstage.io/managed-by-origin-location': where,
          });
          const entities: Entity[] = [
            {
              apiVersion: 'backstage.io/v1alpha1',
              kind: 'Group',
              metadata: {
                name: 'team-a',
                annotations: annotations('url:https://github.com/acme'),
              },
              spec: { type: 'team', children: [] },
            },
            {
              apiVersion: 'backstage.io/v1alpha1',
              kind: 'User',
              metadata: {
                name: 'ada',
                annotations: annotations('url:https://github.com/ada'),
              },
              spec: { memberOf: ['team-a'] },
            },
            {
              apiVersion: 'backstage.io/v1alpha1',
              kind: 'Location',
              metadata: {
                name: 'discovered-repo',
                annotations: annotations(`url:${target}`),
              },
              spec: { type: 'url', target, presence: 'optional' },
            },
          ];
          catalog.addEntityProvider({
            getProviderName: () => 'test-github-like',
            async connect(connection) {
              await connection.applyMutation({
                type: 'full',
                entities: entities.map(entity => ({
                  entity,
                  locationKey: 'test-github-like',
                })),
              });
            },
          });
        },
      });
    },
  });

let server: http.Server;
let host: string;
let backend: Awaited<ReturnType<typeof startTestBackend>>;
let dir: string;
let orgFile: string;

const getEntity = (ref: string) =>
  request(backend.server as Server)
    .get(`/api/catalog/entities/by-name/${ref}`)
    .set('Authorization', auth);

const register = (body: object, query = '') =>
  request(backend.server as Server)
    .post(`/api/catalog/locations${query}`)
    .set('Authorization', auth)
    .send(body);

const storedTargets = async () =>
  (
    await request(backend.server as Server)
      .get('/api/catalog/locations')
      .set('Authorization', auth)
  ).body.map((l: any) => l.data.target) as string[];

const present = (ref: string) =>
  waitFor(ref, async () =>
    (await getEntity(ref)).status === 200 ? true : undefined,
  );

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const body = files[req.url ?? ''];
    res.statusCode = body ? 200 : 404;
    res.end(body ?? '');
  });
  await new Promise<void>(r => server.listen(0, '127.0.0.1', () => r()));
  host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  dir = tempDir('portal-locations-');
  // A file location of the config: it may name Groups (its own rule).
  orgFile = path.join(dir, 'org.yaml');
  fs.writeFileSync(orgFile, group('config-team'));
  backend = await startTestBackend({
    features: [
      catalogPlugin,
      catalogLogs,
      portalLocations,
      providersLikeGithub(host),
      databaseServiceFactory,
      schedulerServiceFactory,
      urlReaderServiceFactory,
      loggerFactory,
      mockServices.rootConfig.factory({
        data: {
          backend: {
            baseUrl: 'http://localhost:7007',
            database: { client: 'better-sqlite3', connection: ':memory:' },
            reading: { allow: [{ host }] },
          },
          portal: {
            catalog: { locations: { allowedUrls: [`http://${host}/acme/`] } },
          },
          catalog: {
            processingInterval: { seconds: 1 },
            // The recommended rules (docs/security.md).
            rules: [
              { allow: ['Component', 'System', 'Domain', 'API', 'Resource'] },
            ],
            locations: [
              {
                type: 'file',
                target: orgFile,
                rules: [{ allow: ['Group', 'User'] }],
              },
            ],
          },
        },
      }),
    ],
  });
});

afterAll(async () => {
  await backend?.stop();
  server?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('registering a location', () => {
  it.each([
    [
      'another organisation',
      () => `http://${host}/evil/service/catalog-info.yaml`,
    ],
    [
      'a path leaving the organisation',
      () => `http://${host}/acme/../evil/service/catalog-info.yaml`,
    ],
    [
      'a look-alike host',
      () => 'https://github.com.evil.example/acme/x/catalog-info.yaml',
    ],
    ['user info', () => `http://user@${host}/acme/service/catalog-info.yaml`],
    ['another port', () => `http://127.0.0.1:1/acme/service/catalog-info.yaml`],
    ['the metadata server', () => 'http://169.254.169.254/computeMetadata/v1/'],
    ['a file URL', () => 'file:///etc/passwd'],
  ])(
    'outside the allow-list (%s): 400, logged with the user, nothing stored',
    async (_, target) => {
      const before = warnings.length;
      const res = await register({ type: 'url', target: target() });
      expect(res.status).toBe(400);
      // What is allowed, nothing about what exists there.
      expect(res.body.error.message).toBe(
        target().includes('user@')
          ? 'Location refused: the target must not contain a user name or password'
          : `Location refused: only URLs under http://${host}/acme/ may be registered`,
      );
      const logged = warnings.slice(before);
      expect(logged).toHaveLength(1);
      expect(logged[0]).toContain('user:default/mallory');
      expect(logged[0]).toContain(JSON.stringify(target()));
      expect(await storedTargets()).not.toContain(target());
    },
  );

  it('of type file: 400, nothing stored', async () => {
    const res = await register({ type: 'file', target: '/etc/passwd' });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain(
      "only locations of type 'url' may be registered",
    );
    expect(await storedTargets()).not.toContain('/etc/passwd');
  });

  it('with a body that is not JSON: 400, nothing stored', async () => {
    const target = `http://${host}/evil/service/catalog-info.yaml`;
    const res = await request(backend.server as Server)
      .post('/api/catalog/locations')
      .set('Authorization', auth)
      .set('Content-Type', 'text/plain')
      .send(JSON.stringify({ type: 'url', target }));
    expect(res.status).toBe(400);
    expect(await storedTargets()).not.toContain(target);
  });

  it('as a dry run or through the import flow (analyze-location): 400 outside the allow-list', async () => {
    const outside = `http://${host}/evil/service/catalog-info.yaml`;
    expect(
      (await register({ type: 'url', target: outside }, '?dryRun=true')).status,
    ).toBe(400);
    const analyze = await request(backend.server as Server)
      .post('/api/catalog/analyze-location')
      .set('Authorization', auth)
      .send({ location: { type: 'url', target: outside } });
    expect(analyze.status).toBe(400);
    expect(analyze.body.error.message).toContain('may be registered');
  });

  it('validating a Location entity through the API: 400', async () => {
    const res = await request(backend.server as Server)
      .post('/api/catalog/validate-entity')
      .set('Authorization', auth)
      .send({
        location: `url:http://${host}/acme/x/catalog-info.yaml`,
        entity: {
          apiVersion: 'backstage.io/v1alpha1',
          kind: 'Location',
          metadata: { name: 'x' },
          spec: { type: 'file', target: '/etc/passwd' },
        },
      });
    expect(res.status).toBe(400);
  });

  it('under the organisation: a Component is accepted; Groups, Users and Locations are not', async () => {
    for (const repo of ['team', 'files', 'service']) {
      const res = await register({
        type: 'url',
        target: `http://${host}/acme/${repo}/catalog-info.yaml`,
      });
      expect(res.status).toBe(201);
    }
    await present('component/default/registered-service');

    // The refused locations were processed (with an error) by then.
    await waitFor('the refusals in the log', async () =>
      warnings.some(w => w.includes('group:default/forged-admins')) &&
      warnings.some(w => w.includes('location:default/reads-files'))
        ? true
        : undefined,
    );
    expect(
      warnings.find(w => w.includes('group:default/forged-admins')),
    ).toMatch(/is not of an allowed kind for that location/);
    expect((await getEntity('group/default/forged-admins')).status).toBe(404);
    expect((await getEntity('user/default/forged-user')).status).toBe(404);
    expect((await getEntity('location/default/reads-files')).status).toBe(404);
  });

  it('the GitHub-like providers and the config still bring Groups, Users and discovered Components', async () => {
    await present('group/default/team-a');
    await present('user/default/ada');
    await present('component/default/discovered-service');
    await present('group/default/config-team');
  });
});
