/*
 * Every template under templates/ through the scaffolder's dry-run endpoint
 * (/api/scaffolder/v2/dry-run), with the portal's portal:publish:github and
 * upstream's GitHub actions installed: the rendered files are checked (names
 * substituted, catalog-info.yaml a valid entity), the skeleton's own tests are
 * run, and the repository settings the publish step would apply are read from
 * the dry-run log.
 */
import {
  componentEntityV1alpha1Validator,
  Entity,
  FieldFormatEntityPolicy,
} from '@backstage/catalog-model';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
import githubScaffolderModule from '@backstage/plugin-scaffolder-backend-module-github';
import portalGithubScaffolderModule from '@internal/backstage-plugin-scaffolder-backend-module-portal-github';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { parse as parseYaml } from 'yaml';
import { templateEntity, templatesDir } from '../__testUtils__/templates';
// eslint-disable-next-line @backstage/no-relative-monorepo-imports
import {
  GithubFake,
  startGithubFake,
} from '../../../../scripts/lib/github-fake';

jest.setTimeout(120_000);

const group = (name: string): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Group',
  metadata: { name, namespace: 'default' },
  spec: { type: 'team', children: [] },
});
const system: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'System',
  metadata: { name: 'payments', namespace: 'default' },
  spec: { owner: 'group:default/payments-team' },
};

/** A template folder as the dry-run endpoint takes it. */
function directoryContents(dir: string) {
  const files: { path: string; base64Content: string }[] = [];
  const walk = (at: string) => {
    for (const entry of fs.readdirSync(path.join(dir, at), {
      withFileTypes: true,
    })) {
      const rel = path.posix.join(at, entry.name);
      if (entry.isDirectory()) walk(rel);
      else {
        files.push({
          path: rel,
          base64Content: fs
            .readFileSync(path.join(dir, rel))
            .toString('base64'),
        });
      }
    }
  };
  walk('');
  return files;
}

interface DryRunResult {
  status: number;
  body: {
    log: { body: { message: string; stepId?: string; status?: string } }[];
    directoryContents: { path: string; base64Content: string }[];
    output: Record<string, any>;
    error?: { message: string };
  };
}

describe('scaffolder templates', () => {
  let backend: Awaited<ReturnType<typeof startTestBackend>>;
  let fake: GithubFake;

  beforeAll(async () => {
    fake = await startGithubFake({
      state: {
        org: 'acme',
        users: [],
        teams: [],
        repos: [
          { name: 'legacy-billing', files: { 'README.md': '# legacy\n' } },
        ],
      },
    });
    backend = await startTestBackend({
      features: [
        mockServices.rootConfig.factory({
          data: {
            backend: { baseUrl: 'http://localhost:7007' },
            portal: { scaffolder: { github: { allowedOwners: ['acme'] } } },
            integrations: {
              // The fake is used by the one real run below; dry runs call nothing.
              github: [
                { host: 'github.com', apiBaseUrl: fake.url, token: fake.token },
              ],
            },
          },
        }),
        catalogServiceMock.factory({
          entities: [
            group('payments-team'),
            group('web-team'),
            system,
            templateEntity('import-repository'),
          ],
        }),
        scaffolderPlugin,
        githubScaffolderModule,
        portalGithubScaffolderModule,
      ],
    });
  });

  afterAll(async () => {
    await backend?.stop();
    await fake?.close();
  });

  const templateNames = fs
    .readdirSync(templatesDir)
    .filter(d => fs.existsSync(path.join(templatesDir, d, 'template.yaml')))
    .sort();

  async function dryRun(
    name: string,
    values: Record<string, unknown>,
  ): Promise<DryRunResult> {
    const dir = path.join(templatesDir, name);
    const template = parseYaml(
      fs.readFileSync(path.join(dir, 'template.yaml'), 'utf8'),
    );
    const res = await request(backend.server)
      .post('/api/scaffolder/v2/dry-run')
      .set('Authorization', mockCredentials.user.header())
      .send({ template, values, directoryContents: directoryContents(dir) });
    return res as unknown as DryRunResult;
  }

  const files = (result: DryRunResult) =>
    Object.fromEntries(
      result.body.directoryContents.map(f => [
        f.path,
        Buffer.from(f.base64Content, 'base64').toString('utf8'),
      ]),
    );
  const messages = (result: DryRunResult) =>
    result.body.log.map(l => l.body.message).join('\n');

  async function expectValidComponent(text: string): Promise<Entity> {
    const entity = parseYaml(text) as Entity;
    expect(await componentEntityV1alpha1Validator.check(entity)).toBe(true);
    expect(() => new FieldFormatEntityPolicy().enforce(entity)).not.toThrow();
    return entity;
  }

  it('finds the four templates', () => {
    expect(templateNames).toEqual([
      'import-repository',
      'library',
      'service-cloud-run',
      'website',
    ]);
  });

  it.each([
    ['service-cloud-run', 'service', 'payments-api'],
    ['library', 'library', 'money-utils'],
    ['website', 'website', 'payments-site'],
  ])(
    '%s renders a %s named after the form, whose own tests pass',
    async (name, type, component) => {
      const result = await dryRun(name, {
        name: component,
        description: 'Pays for things',
        owner: 'group:default/payments-team',
        system: 'system:default/payments',
        repoUrl: `github.com?owner=acme&repo=${component}`,
        visibility: 'internal',
        topics: ['payments', type],
      });
      expect(result.status).toBe(200);
      const out = files(result);

      const entity = await expectValidComponent(out['catalog-info.yaml']);
      expect(entity.metadata.name).toBe(component);
      expect(entity.metadata.description).toBe('Pays for things');
      expect(entity.metadata.annotations?.['github.com/project-slug']).toBe(
        `acme/${component}`,
      );
      expect(entity.spec).toMatchObject({
        type,
        owner: 'group:default/payments-team',
        system: 'system:default/payments',
      });
      expect(JSON.parse(out['package.json']).name).toBe(component);
      expect(out['README.md']).toContain(`# ${component}`);
      expect(out['cloudbuild.yaml']).toBeDefined();
      expect(parseYaml(out['cloudbuild.yaml']).steps.length).toBeGreaterThan(0);
      // Nothing left unrendered.
      for (const [file, text] of Object.entries(out)) {
        expect([file, /\$\{\{|\{%/.test(text)]).toEqual([file, false]);
      }
      // Services and websites deploy to Cloud Run (and check pull requests
      // with cloudbuild.ci.yaml); a library only tests.
      const deploys = type !== 'library';
      expect(out['cloudbuild.ci.yaml'] !== undefined).toBe(deploys);
      expect(/^FROM node:24-slim$/m.test(out.Dockerfile ?? '')).toBe(deploys);
      expect(
        out['cloudbuild.yaml'].includes(`- deploy\n      - ${component}`),
      ).toBe(deploys);

      // The publish step: the organisation's settings, the form's choices.
      const log = messages(result);
      expect(log).toContain(
        `Would create https://github.com/acme/${component} with`,
      );
      const settings = JSON.parse(
        /Would create \S+ with (\{.*\})/.exec(log)![1],
      );
      expect(settings).toMatchObject({
        topics: ['payments', type],
        repoVisibility: 'internal',
        defaultBranch: 'main',
        requiredApprovingReviewCount: 2,
        dismissStaleReviews: true,
        requiredStatusCheckContexts: ['ci'],
        hasWiki: false,
        deleteBranchOnMerge: true,
        allowSquashMerge: true,
        allowMergeCommit: false,
        allowRebaseMerge: false,
      });
      expect(result.body.output.links).toEqual(
        expect.arrayContaining([
          {
            title: 'Repository',
            url: `https://github.com/acme/${component}`,
          },
        ]),
      );

      // The skeleton works: its own tests pass on Node 24.
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${name}-`));
      try {
        for (const [file, text] of Object.entries(out)) {
          fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
          fs.writeFileSync(path.join(dir, file), text);
        }
        const report = execFileSync(
          process.execPath,
          ['--test', '--test-reporter=tap'],
          {
            cwd: dir,
            encoding: 'utf8',
            env: { ...process.env, NODE_OPTIONS: '' },
          },
        );
        expect(report).toMatch(/# pass [1-9]/);
        expect(report).toMatch(/# fail 0/);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  it('import-repository renders a catalog-info.yaml and would open a pull request', async () => {
    const result = await dryRun('import-repository', {
      repoUrl: 'github.com?owner=acme&repo=legacy-billing',
      name: 'legacy-billing',
      owner: 'group:default/web-team',
      type: 'service',
      lifecycle: 'production',
    });
    expect(result.status).toBe(200);
    const out = files(result);
    expect(Object.keys(out)).toEqual(['catalog-info.yaml']);
    const entity = await expectValidComponent(out['catalog-info.yaml']);
    expect(entity.metadata.name).toBe('legacy-billing');
    expect(entity.spec).toEqual({
      type: 'service',
      lifecycle: 'production',
      owner: 'group:default/web-team',
    });
    const log = messages(result);
    expect(log).toMatch(
      /Running portal:publish:github:pull-request in dry-run mode/,
    );
    expect(log).toContain('backstage/catalog-info');
  });

  // A dry run stops at the first failing step and answers with its error
  // (a real run shows the same message in the task log).
  it('an owner that is not in the catalog stops the run before GitHub', async () => {
    const result = await dryRun('service-cloud-run', {
      name: 'orphan',
      owner: 'group:default/nobody',
      repoUrl: 'github.com?owner=acme&repo=orphan',
    });
    expect(result.status).toBeGreaterThanOrEqual(400);
    expect(result.body.error?.message).toBe(
      'Entity group:default/nobody not found',
    );
  });

  it('a repository name GitHub refuses is reported, not created', async () => {
    const result = await dryRun('library', {
      name: 'fine-name',
      owner: 'group:default/payments-team',
      repoUrl: 'github.com?owner=acme&repo=not%20allowed',
    });
    expect(result.status).toBe(400);
    expect(result.body.error?.message).toBe(
      "Invalid repository name: the repository name 'not allowed' may contain only letters, digits, '.', '-' and '_'",
    );
  });

  it('a host that is not GitHub is reported, not used', async () => {
    const result = await dryRun('website', {
      name: 'elsewhere',
      owner: 'group:default/payments-team',
      repoUrl: 'gitlab.com?owner=acme&repo=elsewhere',
    });
    expect(result.status).toBe(400);
    expect(result.body.error?.message).toBe(
      "'gitlab.com' is not a GitHub host this portal can create repositories on (configured: github.com)",
    );
  });

  it('a component name outside the pattern is refused by the form schema', async () => {
    const result = await dryRun('service-cloud-run', {
      name: 'Not_Valid',
      owner: 'group:default/payments-team',
      repoUrl: 'github.com?owner=acme&repo=x',
    });
    expect(result.status).toBe(400);
    expect((result.body as any).errors).toEqual([
      expect.objectContaining({
        path: ['name'],
        message: expect.stringMatching(/^does not match pattern/),
      }),
    ]);
  });

  it('import-repository, run for real, opens a pull request carrying the generated catalog-info.yaml', async () => {
    const values = {
      repoUrl: 'github.com?owner=acme&repo=legacy-billing',
      name: 'legacy-billing',
      description: 'The old billing system',
      owner: 'group:default/web-team',
      type: 'service',
      lifecycle: 'production',
    };
    const created = await request(backend.server)
      .post('/api/scaffolder/v2/tasks')
      .set('Authorization', mockCredentials.user.header())
      .send({ templateRef: 'template:default/import-repository', values });
    expect(created.status).toBe(201);
    let task: any;
    for (let i = 0; i < 120; i++) {
      task = (
        await request(backend.server)
          .get(`/api/scaffolder/v2/tasks/${created.body.id}`)
          .set('Authorization', mockCredentials.user.header())
      ).body;
      if (['completed', 'failed', 'cancelled'].includes(task.status)) break;
      await new Promise(r => setTimeout(r, 250));
    }
    expect(task.status).toBe('completed');

    // The same file the dry run renders, now in the pull request.
    const dry = await dryRun('import-repository', values);
    const [pr] = fake.gitData['legacy-billing'].pulls;
    expect(pr).toMatchObject({
      head: 'acme:backstage/catalog-info',
      base: 'main',
      title: 'Add catalog-info.yaml for the developer portal',
    });
    expect(pr.body).toContain('`legacy-billing`');
    expect(pr.files).toEqual({
      'catalog-info.yaml': files(dry)['catalog-info.yaml'],
    });
    const entity = await expectValidComponent(pr.files['catalog-info.yaml']);
    expect(entity.metadata.description).toBe('The old billing system');
  });
});
