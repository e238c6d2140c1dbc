// yarn bench: measures the production server the way the container runs it
// (production tree, PostgreSQL) and prints JSON. Figures are medians over
// several runs; nothing here asserts a threshold.
//   readiness_ms         spawn -> 200 from /.backstage/health/v1/readiness, on an
//                        already-migrated database (median of BENCH_RUNS, default 5)
//   first_boot_ms        the same on an empty database (migrations included)
//   rss_mb               resident memory of the server at readiness (median)
//   production_install_mb  size of the production tree's node_modules
//   catalog_table_ms     Chromium: navigation start -> catalog table rows shown
//                        (median of BENCH_RUNS, warm browser cache cleared each run)
//   bytes_transferred    bytes Chromium received for that page load (median)
//   github_ingestion_ms  GitHub org of 2,000 repositories (half with
//                        catalog-info.yaml), 500 members, 100 teams served by
//                        the local fake: spawn on an empty database -> every
//                        Component, User and Group in the catalog with its
//                        ownedBy / memberOf relations (median of
//                        BENCH_GITHUB_RUNS, default 3). BENCH_ONLY=github
//                        runs just this.
// Needs `yarn build:backend` first; starts its own PostgreSQL.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const portal = require('./lib/portal');
const { generateOrg, startGithubFake } = require('./lib/github-fake');

const runs = Number(process.env.BENCH_RUNS || 5);
const median = xs => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : Math.round((s[m - 1] + s[m]) / 2);
};
const log = (...a) => console.error('bench:', ...a);

function rssMb(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024);
}

function duMb(dir) {
  return Math.round(
    Number(
      execFileSync('du', ['-sk', dir], { encoding: 'utf8' }).split('\t')[0],
    ) / 1024,
  );
}

async function startAndMeasure(tree, env) {
  const server = portal.startServer({ tree, env });
  const readyMs = await server.waitReady();
  const rss = rssMb(server.child.pid);
  return { server, readyMs, rss };
}

async function browserRuns(base) {
  // playwright-core's chromium, the e2e suite's launch flags.
  const { chromium } = require('@playwright/test');
  const browser = await chromium.launch(portal.chromiumLaunchOptions);
  const times = [];
  const bytes = [];
  try {
    // Sign in once (guest, demo layer); later runs reuse the session.
    const context = await browser.newContext({
      viewport: { width: 1400, height: 900 },
    });
    const page = await context.newPage();
    await page.goto(`${base}/`);
    await page.getByRole('button', { name: 'Enter' }).click();
    await page.getByRole('table').getByRole('row').nth(1).waitFor();
    for (let i = 0; i < runs; i++) {
      const cdp = await context.newCDPSession(page);
      await cdp.send('Network.enable');
      await cdp.send('Network.clearBrowserCache');
      let received = 0;
      cdp.on('Network.loadingFinished', e => (received += e.encodedDataLength));
      const t0 = Date.now();
      await page.goto(`${base}/`, { waitUntil: 'commit' });
      await page
        .getByRole('table')
        .getByRole('row')
        .nth(1)
        .waitFor({ timeout: 60_000 });
      times.push(Date.now() - t0);
      await page.waitForLoadState('networkidle').catch(() => undefined);
      bytes.push(received);
      await cdp.detach();
    }
  } finally {
    await browser.close();
  }
  return { times, bytes };
}

// Counts entities matching `filter` (catalog by-query totalItems).
async function count(base, token, filter) {
  const r = await fetch(
    `${base}/api/catalog/entities/by-query?limit=1&${filter
      .map(f => `filter=${encodeURIComponent(f)}`)
      .join('&')}`,
    { headers: { Authorization: `Bearer ${token}` } },
  );
  if (!r.ok) throw new Error(`catalog answered ${r.status}`);
  return (await r.json()).totalItems;
}

async function githubIngestion(tree, token) {
  const shape = { repos: 2000, users: 500, teams: 100, catalogEvery: 2 };
  const fake = await startGithubFake({ state: generateOrg(shape) });
  const expected = { components: 1000, users: 500, groups: 100 };
  const times = [];
  try {
    const githubRuns = Number(process.env.BENCH_GITHUB_RUNS || 3);
    for (let i = 0; i < githubRuns; i++) {
      const pg = portal.startPostgres(path.join(portal.workDir, 'bench-gh-pg'));
      const port = await portal.freePort();
      const env = {
        ...portal.contractEnv({ pg, port, token }),
        GITHUB_ORG: fake.state.org,
        GITHUB_TOKEN: fake.token,
        GITHUB_API_URL: fake.url,
      };
      const started = Date.now();
      const server = portal.startServer({ tree, env, extraArgs: [] });
      try {
        await server.waitReady();
        // Polled once a second (not faster: the queries would compete with
        // the processing they measure on a small machine).
        let last;
        const deadline = Date.now() + 300_000;
        // Components finish last (they need the repository listing, then
        // their Location processed, then themselves), so poll that one query
        // and check users and groups once it is complete.
        const done = async () => {
          const components = await count(server.base, token, [
            // One filter: its conditions are ANDed (several filters are ORed).
            'kind=component,metadata.annotations.github.com/project-slug,relations.ownedBy',
          ]);
          last = { components };
          if (components < expected.components) return false;
          const [users, groups] = await Promise.all([
            count(server.base, token, ['kind=user,relations.memberOf']),
            count(server.base, token, [
              'kind=group,metadata.annotations.github.com/team-slug,relations.hasMember',
            ]),
          ]);
          last = { components, users, groups };
          return users >= expected.users && groups >= expected.groups;
        };
        while (!(await done())) {
          if (Date.now() > deadline) {
            throw new Error(
              `GitHub entities not all in the catalog after 300 s: ${JSON.stringify(
                last,
              )}`,
            );
          }
          await new Promise(r => setTimeout(r, 1000));
        }
        times.push(Date.now() - started);
        log(`github ingestion run ${i + 1}: ${times[times.length - 1]} ms`);
      } finally {
        await server.stop();
        pg.stop();
      }
    }
  } finally {
    await fake.close();
  }
  return { times, shape };
}

async function main() {
  const tree = portal.productionTree();
  const token = 'bench-token-0123456789abcdef';
  if (process.env.BENCH_ONLY === 'github') {
    const { times, shape } = await githubIngestion(tree, token);
    console.log(
      JSON.stringify(
        {
          github_ingestion_ms: median(times),
          github_ingestion_ms_all: times,
          github_org: shape,
        },
        null,
        2,
      ),
    );
    return;
  }
  const pg = portal.startPostgres(path.join(portal.workDir, 'bench-pg'));
  const port = await portal.freePort();
  const env = portal.contractEnv({
    pg,
    port,
    token: 'bench-token-0123456789abcdef',
  });
  const result = { runs };
  try {
    log('first boot (empty database, migrations)');
    const first = await startAndMeasure(tree, env);
    result.first_boot_ms = first.readyMs;
    // Let the catalog ingest the demo data before the warm runs.
    await portal.waitFor('demo catalog', async () => {
      const r = await fetch(
        `${first.server.base}/api/catalog/entities?filter=kind=component`,
        {
          headers: { Authorization: 'Bearer bench-token-0123456789abcdef' },
        },
      );
      const b = await r.json();
      return b.length >= 7 ? true : undefined;
    });
    await first.server.stop();

    const ready = [];
    const rss = [];
    for (let i = 0; i < runs; i++) {
      const { server, readyMs, rss: r } = await startAndMeasure(tree, env);
      ready.push(readyMs);
      rss.push(r);
      log(`run ${i + 1}: ready ${readyMs} ms, rss ${r} MB`);
      if (i < runs - 1) await server.stop();
      else {
        const { times, bytes } = await browserRuns(server.base);
        log('catalog table ms', times.join(', '), 'bytes', bytes.join(', '));
        result.catalog_table_ms = median(times);
        result.catalog_table_ms_all = times;
        result.bytes_transferred = median(bytes);
        await server.stop();
      }
    }
    result.readiness_ms = median(ready);
    result.readiness_ms_all = ready;
    result.rss_mb = median(rss);
    result.rss_mb_all = rss;
    result.production_install_mb = duMb(path.join(tree, 'node_modules'));
  } finally {
    pg.stop();
  }
  const github = await githubIngestion(tree, token);
  result.github_ingestion_ms = median(github.times);
  result.github_ingestion_ms_all = github.times;
  result.github_org = github.shape;
  console.log(JSON.stringify(result, null, 2));
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
