/*
 * GitHub on the production server (production tree, PostgreSQL): two
 * instances on one database fed by the local GitHub fake, sharing webhook
 * events through the events bus; and the suite's main server, which has no
 * GitHub variables, running with GitHub off.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';

/* eslint-disable @typescript-eslint/no-require-imports */
const portal = require('../../../scripts/lib/portal');
const {
  catalogInfo,
  generateOrg,
  signWebhook,
  startGithubFake,
} = require('../../../scripts/lib/github-fake');
/* eslint-enable @typescript-eslint/no-require-imports */

const SECRET = 'e2e-webhook-secret-0123456789';
const TOKEN = 'e2e-github-api-token-0123456789';

async function entities(base: string, filter: string): Promise<any[]> {
  const res = await fetch(
    `${base}/api/catalog/entities/by-query?limit=100&filter=${encodeURIComponent(
      filter,
    )}`,
    { headers: { authorization: `Bearer ${TOKEN}` } },
  );
  expect(res.status).toBe(200);
  return (await res.json()).items;
}

function deliver(
  base: string,
  event: string,
  payload: object,
  secret = SECRET,
) {
  const body = JSON.stringify(payload);
  return fetch(`${base}/api/events/http/github`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-github-event': event,
      'x-github-delivery': `e2e-${crypto.randomUUID()}`,
      'x-hub-signature-256': signWebhook(secret, body),
    },
    body,
  });
}

test.describe('GitHub on two instances sharing one database', () => {
  test.describe.configure({ mode: 'serial' });
  let fake: any;
  let pg: any;
  let a: any;
  let b: any;

  const push = (repo: string) => ({
    ref: 'refs/heads/main',
    repository: {
      name: repo,
      html_url: `https://github.com/acme/${repo}`,
      default_branch: 'main',
      topics: [],
      archived: false,
      fork: false,
      visibility: 'private',
      owner: { login: 'acme' },
    },
    organization: { login: 'acme' },
    commits: [{ added: [], removed: [], modified: ['catalog-info.yaml'] }],
  });
  const pushesProcessed = () =>
    [a, b].map(
      s => (s.output().match(/Processed Github push event/g) ?? []).length,
    );

  test.beforeAll(async () => {
    test.setTimeout(240_000);
    fake = await startGithubFake({
      state: generateOrg({ repos: 6, users: 4, teams: 2 }),
    });
    pg = portal.startPostgres(path.join(portal.workDir, 'e2e-github-pg'));
    const start = async (name: string) =>
      portal.startServer({
        tree: process.env.PORTAL_TREE,
        env: {
          ...portal.contractEnv({
            pg,
            port: await portal.freePort(),
            token: TOKEN,
          }),
          GITHUB_ORG: 'acme',
          GITHUB_TOKEN: fake.token,
          GITHUB_API_URL: fake.url,
          GITHUB_WEBHOOK_SECRET: SECRET,
        },
        extraArgs: [],
        logFile: path.join(portal.workDir, `e2e-github-${name}.log`),
      });
    // One after the other: the first one migrates the databases.
    a = await start('a');
    await a.waitReady();
    b = await start('b');
    await b.waitReady();
    await portal.waitFor(
      'the GitHub components',
      async () =>
        (
          await entities(
            b.base,
            'kind=component,metadata.annotations.github.com/project-slug',
          )
        ).length === 3
          ? true
          : undefined,
      120_000,
    );
  });

  test.afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    pg?.stop();
    await fake?.close();
  });

  test('teams, members and repositories are in the catalog', async () => {
    // Teams and members come from the org sync, which may finish after the
    // repositories the set-up waited for.
    const groups = await portal.waitFor(
      'the GitHub teams',
      async () => {
        const items = await entities(
          a.base,
          'kind=group,metadata.annotations.github.com/team-slug',
        );
        return items.length === 2 ? items : undefined;
      },
      60_000,
    );
    await portal.waitFor(
      'the GitHub members with their teams',
      async () =>
        (await entities(a.base, 'kind=user,relations.memberOf')).length === 4
          ? true
          : undefined,
      60_000,
    );
    expect(groups.map(g => g.metadata.name).sort()).toEqual([
      'team-1',
      'team-2',
    ]);
    const users = await entities(a.base, 'kind=user,relations.memberOf');
    expect(users.map(u => u.spec.profile.email).sort()).toEqual([
      'user-1@acme.example',
      'user-2@acme.example',
      'user-3@acme.example',
      'user-4@acme.example',
    ]);
  });

  test('a webhook delivered to one instance is applied once, and both see the result', async () => {
    const before = pushesProcessed();
    fake.state.repos.find((r: any) => r.name === 'repo-1').files[
      'catalog-info.yaml'
    ] = catalogInfo('repo-1', 'team-1').replace(
      'repo-1 service',
      'Updated by a push',
    );
    const res = await deliver(a.base, 'push', push('repo-1'));
    expect(res.status).toBe(202);
    await portal.waitFor(
      'the pushed change on the other instance',
      async () =>
        (
          await entities(b.base, 'kind=component,metadata.name=repo-1')
        )[0]?.metadata.description === 'Updated by a push'
          ? true
          : undefined,
      30_000,
    );
    // Give a duplicate delivery (the other instance polling the bus) time to show.
    await new Promise(r => setTimeout(r, 4000));
    const after = pushesProcessed();
    expect(after[0] + after[1] - before[0] - before[1]).toBe(1);
  });

  test('a forged or unsigned delivery gets 401 and changes nothing', async () => {
    const before = pushesProcessed();
    fake.state.repos.find((r: any) => r.name === 'repo-3').files[
      'catalog-info.yaml'
    ] = catalogInfo('repo-3', 'team-1').replace('repo-3 service', 'Forged');
    const forged = await deliver(
      b.base,
      'push',
      push('repo-3'),
      'guessed-secret-000000',
    );
    expect(forged.status).toBe(401);
    const unsigned = await fetch(`${b.base}/api/events/http/github`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-github-event': 'push' },
      body: JSON.stringify(push('repo-3')),
    });
    expect(unsigned.status).toBe(401);
    await new Promise(r => setTimeout(r, 3000));
    expect(pushesProcessed()).toEqual(before);
    const [repo3] = await entities(
      a.base,
      'kind=component,metadata.name=repo-3',
    );
    expect(repo3.metadata.description).toBe('repo-3 service');
    expect(b.output()).toContain('Rejected GitHub webhook delivery');
  });

  test('a repository created with catalog-info.yaml appears through repository.created (a discovery run through the shared scheduler)', async () => {
    fake.state.repos.push({
      name: 'repo-new',
      files: { 'catalog-info.yaml': catalogInfo('repo-new', 'team-2') },
    });
    const { repository } = push('repo-new');
    const res = await deliver(b.base, 'repository', {
      action: 'created',
      repository: { ...repository, full_name: 'acme/repo-new' },
      organization: { login: 'acme' },
    });
    expect(res.status).toBe(202);
    expect(b.output()).toMatch(
      /GitHub repository acme\/repo-new was created; repository discovery \(github-provider:repositories:refresh\) runs in 10 s/,
    );
    await portal.waitFor(
      'the new repository on the other instance',
      async () =>
        (
          await entities(a.base, 'kind=component,metadata.name=repo-new')
        ).length === 1
          ? true
          : undefined,
      60_000,
    );
  });
});

test('without GitHub variables the server runs with GitHub off and no webhook endpoint', async () => {
  const log = fs.readFileSync(
    path.join(portal.workDir, 'e2e-server.log'),
    'utf8',
  );
  expect(log).toContain(
    "GitHub org data 'github' is off: no organisation (GITHUB_ORG unset)",
  );
  expect(log).toContain(
    "GitHub repository discovery 'repositories' is off: no organisation (GITHUB_ORG unset)",
  );
  const res = await fetch(`${process.env.PORTAL_URL}/api/events/http/github`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-github-event': 'push' },
    body: '{}',
  });
  expect(res.status).toBe(404);
});
