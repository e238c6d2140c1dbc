/*
 * portal:publish:github for real (not a dry run): upstream's publish:github
 * through Octokit and isomorphic-git against the local GitHub fake, which
 * records the REST calls and keeps what was pushed in a bare repository
 * (scripts/lib/github-fake-repos.js, git's own http-backend). The import
 * template's pull request is run in templates.test.ts.
 */
import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import {
  DefaultGithubCredentialsProvider,
  ScmIntegrations,
} from '@backstage/integration';
import { createPublishGithubAction } from '@backstage/plugin-scaffolder-backend-module-github';
import {
  createPortalPublishGithubAction,
  DEFAULT_REPOSITORY_SETTINGS,
  readBranchProtection,
} from '@internal/backstage-plugin-scaffolder-backend-module-portal-github';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
// eslint-disable-next-line @backstage/no-relative-monorepo-imports
import {
  catalogInfo,
  filesOf,
  generateOrg,
  GithubFake,
  startGithubFake,
} from '../../../../scripts/lib/github-fake';

jest.setTimeout(60_000);

describe('portal:publish:github against the GitHub fake', () => {
  let fake: GithubFake;
  let workspace: string;

  beforeAll(async () => {
    fake = await startGithubFake({
      state: generateOrg({ repos: 2, users: 2, teams: 1 }),
    });
  });
  afterAll(async () => {
    await fake?.close();
  });
  beforeEach(() => {
    fake.clearFaults();
    workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'publish-'));
    fs.writeFileSync(
      path.join(workspace, 'catalog-info.yaml'),
      catalogInfo('payments-api', 'team-1'),
    );
    fs.mkdirSync(path.join(workspace, 'src'));
    fs.writeFileSync(path.join(workspace, 'src/index.ts'), 'export {};\n');
  });
  afterEach(() => fs.rmSync(workspace, { recursive: true, force: true }));

  function github() {
    const config = new ConfigReader({
      integrations: {
        github: [
          { host: 'github.com', apiBaseUrl: fake.url, token: fake.token },
        ],
      },
    });
    return { config, integrations: ScmIntegrations.fromConfig(config) };
  }

  function action() {
    const { config, integrations } = github();
    return createPortalPublishGithubAction({
      integrations,
      settings: DEFAULT_REPOSITORY_SETTINGS,
      guards: { allowedOwners: ['acme'] },
      mayPublishPublic: async () => false,
      publish: createPublishGithubAction({
        integrations,
        config,
        githubCredentialsProvider:
          DefaultGithubCredentialsProvider.fromIntegrations(integrations),
      }),
      readProtection: ({ owner, repo, branch }) =>
        readBranchProtection(fake.url, fake.token, { owner, repo, branch }),
    });
  }

  /** A task context; `checkpoints` survives a retry of the same task. */
  function context(input: object, checkpoints = new Map<string, any>()) {
    const outputs: Record<string, unknown> = {};
    const logger = mockServices.logger.mock();
    return {
      outputs,
      logger,
      ctx: {
        input,
        workspacePath: workspace,
        logger,
        output: (name: string, value: unknown) => (outputs[name] = value),
        checkpoint: async ({ key, fn }: { key: string; fn: () => any }) => {
          if (!checkpoints.has(key)) checkpoints.set(key, await fn());
          return checkpoints.get(key);
        },
        createTemporaryDirectory: async () =>
          fs.mkdtempSync(path.join(os.tmpdir(), 'publish-tmp-')),
        getInitiatorCredentials: async () => ({}),
        task: { id: 'task-1' },
      } as any,
    };
  }

  it('creates the repository with the settings, pushes the files and protects main', async () => {
    const { ctx, outputs } = context({
      repoUrl: 'github.com?owner=acme&repo=payments-api',
      description: 'Payments',
      topics: ['service'],
    });
    await action().handler(ctx);

    const created = fake.created['payments-api'];
    expect(created.request).toMatchObject({
      name: 'payments-api',
      description: 'Payments',
      visibility: 'private',
      private: true,
      has_wiki: false,
      has_projects: false,
      has_issues: true,
      delete_branch_on_merge: true,
      allow_squash_merge: true,
      allow_merge_commit: false,
      allow_rebase_merge: false,
    });
    expect(created.topics).toEqual(['service']);
    expect(created.protection.main).toMatchObject({
      required_pull_request_reviews: {
        required_approving_review_count: 2,
        dismiss_stale_reviews: true,
        require_code_owner_reviews: false,
      },
      required_status_checks: { strict: true, contexts: ['ci'] },
      enforce_admins: true,
      required_conversation_resolution: true,
    });
    expect(Object.keys(filesOf(created.gitDir)).sort()).toEqual([
      'catalog-info.yaml',
      'src/index.ts',
    ]);
    expect(filesOf(created.gitDir)['catalog-info.yaml']).toContain(
      'name: payments-api',
    );
    expect(outputs).toMatchObject({
      remoteUrl: `${fake.url}/git/acme/payments-api.git`,
      repoContentsUrl: 'https://github.com/acme/payments-api/blob/main',
    });
    expect(outputs.commitHash).toMatch(/^[0-9a-f]{40}$/);
  });

  it('an existing name is refused with a plain message, and nothing is changed', async () => {
    const existing = fake.state.repos[0].name;
    const before = fake.requests.length;
    const { ctx } = context({
      repoUrl: `github.com?owner=acme&repo=${existing}`,
    });
    await expect(action().handler(ctx)).rejects.toThrow(
      `A repository named acme/${existing} already exists on github.com; choose another name (nothing was changed in it)`,
    );
    const calls = fake.requests.slice(before).map(r => `${r.method} ${r.path}`);
    expect(calls).toContain('POST /orgs/acme/repos');
    expect(calls.some(c => /protection|topics|\/git\//.test(c))).toBe(false);
  });

  it('GitHub 502 while creating: a readable failure; the retry creates exactly one repository', async () => {
    // Octokit retries a 5xx three times before giving up.
    fake.addFault({
      operation: 'create-repo',
      kind: 'bad-gateway',
      times: Infinity,
    });
    const checkpoints = new Map<string, any>();
    const first = context(
      { repoUrl: 'github.com?owner=acme&repo=ledger-api' },
      checkpoints,
    );
    await expect(action().handler(first.ctx)).rejects.toThrow(
      /GitHub did not answer properly while creating acme\/ledger-api .*run the template again/,
    );
    expect(fake.created['ledger-api']).toBeUndefined();
    fake.clearFaults();

    const beforeRetry = fake.requests.length;
    const retry = context(
      { repoUrl: 'github.com?owner=acme&repo=ledger-api' },
      checkpoints,
    );
    await action().handler(retry.ctx);
    const creations = fake.requests
      .slice(beforeRetry)
      .filter(r => r.path === '/orgs/acme/repos');
    expect(creations.map(r => r.status)).toEqual([201]);
    expect(fake.created['ledger-api'].protection.main).toBeDefined();
  });

  it('a branch protection GitHub refuses fails the task instead of passing silently', async () => {
    fake.addFault({
      operation: 'branch-protection',
      kind: 'bad-gateway',
      times: Infinity,
    });
    const checkpoints = new Map<string, any>();
    const { ctx, logger } = context(
      { repoUrl: 'github.com?owner=acme&repo=unprotected' },
      checkpoints,
    );
    await expect(action().handler(ctx)).rejects.toThrow(
      'acme/unprotected was created and the files pushed, but its main branch is not protected as the organisation requires (no protection)',
    );
    // Upstream's own reaction was a warning only.
    expect(logger.warn).toHaveBeenCalledWith(
      expect.stringMatching(
        /Skipping: default branch protection on 'unprotected'/,
      ),
    );

    // A retry of the task (same checkpoints) does not create a second
    // repository: the creation is remembered, and the task fails again,
    // readably. (Here the retry reuses the workspace's git history; a retry
    // from a fresh workspace, whose push GitHub refuses, is explained by
    // explainGithubError, see its unit test.)
    const beforeRetry = fake.requests.length;
    const retry = context(
      { repoUrl: 'github.com?owner=acme&repo=unprotected' },
      checkpoints,
    );
    await expect(action().handler(retry.ctx)).rejects.toThrow(
      /acme\/unprotected/,
    );
    expect(
      fake.requests
        .slice(beforeRetry)
        .filter(r => r.path === '/orgs/acme/repos'),
    ).toEqual([]);
  });
});
