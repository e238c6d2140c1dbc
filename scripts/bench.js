// yarn bench: measures the production server the way the container runs it
// (production tree, PostgreSQL) and prints JSON. Figures are medians over
// several runs; nothing here asserts a threshold.
//   readiness_ms         spawn -> 200 from /.backstage/health/v1/readiness, on an
//                        already-migrated database (median of BENCH_RUNS, default 5)
//   first_boot_ms        the same on an empty database (migrations included)
//   rss_mb               resident memory of the server at readiness (median)
//   production_install_mb  size of the production tree's node_modules
//   image_mb, image_base_mb, image_own_layers_mb, image_build_s  the container
//                        image from .cache/container/build.json, when
//                        scripts/container/build.sh has run (docs/container.md)
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
//   api_docs_ingestion_ms  1,000 spec objects (OpenAPI, AsyncAPI, GraphQL) in
//                        the local Cloud Storage server: spawn on an empty
//                        database -> all 1,000 API entities in the catalog
//                        (median of BENCH_API_DOCS_RUNS, default 3)
//   api_docs_rescan_ms   a scan with nothing changed (state from the database,
//                        listing, the full mutation; nothing downloaded), from
//                        the provider's log line, in a restarted server
//                        (median of the first three scans of each run).
//                        BENCH_ONLY=api-docs runs just these.
// Needs `yarn build:backend` first; starts its own PostgreSQL.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const portal = require('./lib/portal');
const { generateOrg, startGithubFake } = require('./lib/github-fake');
const { startGcsFake } = require('./lib/gcs-fake');

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

/** `n` spec objects: 3/5 OpenAPI YAML, 1/5 AsyncAPI JSON, 1/5 GraphQL SDL. */
function generateSpecs(n) {
  const objects = {};
  for (let i = 0; i < n; i++) {
    const system = `system-${i % 40}`;
    const owner = `group:default/team-${i % 25}`;
    if (i % 5 === 3) {
      objects[`apis/${system}/events-${i}.json`] = JSON.stringify({
        asyncapi: '2.6.0',
        'x-backstage-owner': owner,
        info: { title: `Events ${i}`, version: '1.0.0' },
        channels: Object.fromEntries(
          Array.from({ length: 5 }, (_, c) => [
            `topic.${i}.${c}`,
            { subscribe: { message: { payload: { type: 'object' } } } },
          ]),
        ),
      });
    } else if (i % 5 === 4) {
      const fields = Array.from({ length: 10 }, (_, f) => f);
      objects[`apis/${system}/graph-${i}.graphql`] = [
        `# x-backstage-owner: ${owner}`,
        `"""Graph ${i}"""`,
        'schema { query: Query }',
        `type Query {\n${fields
          .map(f => `  field${f}(id: ID!): Item${f}`)
          .join('\n')}\n}`,
        ...fields.map(f => `type Item${f} { id: ID! name: String value: Int }`),
        '',
      ].join('\n');
    } else {
      const paths = Array.from(
        { length: 8 },
        (_, p) =>
          `  /resource-${p}/{id}:\n    get:\n      summary: Get resource ${p}\n      parameters:\n        - { name: id, in: path, required: true, schema: { type: string } }\n      responses:\n        '200': { description: ok, content: { application/json: { schema: { $ref: '#/components/schemas/R' } } } }\n`,
      ).join('');
      objects[
        `apis/${system}/service-${i}.yaml`
      ] = `openapi: 3.0.3\ninfo:\n  title: Service ${i} API\n  version: 1.${i}.0\n  x-backstage-owner: ${owner}\npaths:\n${paths}components:\n  schemas:\n    R: { type: object, properties: { id: { type: string } } }\n`;
    }
  }
  return objects;
}

async function apiDocsIngestion(tree, token) {
  const specs = 1000;
  const gcs = await startGcsFake({
    buckets: { 'bench-api-docs': generateSpecs(specs) },
  });
  // A scan every 3 s, so that rescans can be timed.
  const configFile = path.join(portal.workDir, 'bench-api-docs.yaml');
  fs.mkdirSync(portal.workDir, { recursive: true });
  fs.writeFileSync(
    configFile,
    'catalog:\n  providers:\n    gcsApiDocs:\n      schedule:\n        frequency: { minutes: 0, seconds: 3 }\n        timeout: { minutes: 2 }\n',
  );
  const times = [];
  const rescans = [];
  try {
    const apiRuns = Number(process.env.BENCH_API_DOCS_RUNS || 3);
    for (let i = 0; i < apiRuns; i++) {
      const pg = portal.startPostgres(
        path.join(portal.workDir, 'bench-api-pg'),
      );
      const port = await portal.freePort();
      const logFile = path.join(portal.workDir, `bench-api-docs-${i}.log`);
      const env = {
        ...portal.contractEnv({ pg, port, token }),
        API_DOCS_BUCKET: 'bench-api-docs',
        API_DOCS_PREFIX: 'apis/',
        STORAGE_EMULATOR_HOST: gcs.url,
      };
      try {
        // Ingestion with the configured schedule (one scan at start-up).
        const started = Date.now();
        const server = portal.startServer({ tree, env, extraArgs: [] });
        try {
          await server.waitReady();
          await portal.waitFor(
            `${specs} API entities`,
            async () => {
              const apis = await count(server.base, token, [
                'kind=api,metadata.annotations.api-docs/source',
              ]);
              return apis >= specs ? true : undefined;
            },
            120_000,
          );
          times.push(Date.now() - started);
          log(`api docs ingestion run ${i + 1}: ${times[times.length - 1]} ms`);
        } finally {
          await server.stop();
        }
        // Rescans: a new process on the same database, a scan every 3 s. The
        // scan state is in the database, so even its first scan downloads
        // nothing; only scans that downloaded nothing are counted.
        const again = portal.startServer({
          tree,
          env,
          extraArgs: ['--config', configFile],
          logFile,
        });
        try {
          await again.waitReady();
          const scans = () =>
            fs
              .readFileSync(logFile, 'utf8')
              .split('\n')
              .filter(l => l.includes('Scanned gs://'))
              .map(l => JSON.parse(l))
              .filter(l => l.downloaded === 0 && l.apis === specs);
          await portal.waitFor(
            'three rescans',
            async () => (scans().length >= 3 ? true : undefined),
            60_000,
          );
          const run = scans()
            .slice(0, 3)
            .map(l => l.durationMs);
          log(`api docs rescans run ${i + 1}: ${run.join(', ')} ms`);
          rescans.push(...run);
        } finally {
          await again.stop();
        }
      } finally {
        pg.stop();
      }
    }
  } finally {
    await gcs.stop();
  }
  return { times, rescans, specs };
}

async function main() {
  const tree = portal.productionTree();
  const token = 'bench-token-0123456789abcdef';
  if (process.env.BENCH_ONLY === 'api-docs') {
    const { times, rescans, specs } = await apiDocsIngestion(tree, token);
    console.log(
      JSON.stringify(
        {
          api_docs_ingestion_ms: median(times),
          api_docs_ingestion_ms_all: times,
          api_docs_rescan_ms: median(rescans),
          api_docs_rescan_ms_all: rescans,
          api_docs_specs: specs,
        },
        null,
        2,
      ),
    );
    return;
  }
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
  const apiDocs = await apiDocsIngestion(tree, token);
  result.api_docs_ingestion_ms = median(apiDocs.times);
  result.api_docs_ingestion_ms_all = apiDocs.times;
  result.api_docs_rescan_ms = median(apiDocs.rescans);
  result.api_docs_rescan_ms_all = apiDocs.rescans;
  result.api_docs_specs = apiDocs.specs;
  // The container image, as scripts/container/build.sh last measured it
  // (absent when it has not run here).
  const image = require('./lib/container').buildReport();
  if (image) {
    result.image_mb = image.image_mb;
    result.image_base_mb = image.base_mb;
    result.image_own_layers_mb = image.own_layers_mb;
    result.image_build_s = image.build_s;
  }
  console.log(JSON.stringify(result, null, 2));
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
