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
// Needs `yarn build:backend` first; starts its own PostgreSQL.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const portal = require('./lib/portal');

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

async function main() {
  const tree = portal.productionTree();
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
  console.log(JSON.stringify(result, null, 2));
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
