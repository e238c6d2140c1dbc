/*
 * The container image (repo-root Dockerfile), built by
 * scripts/container/build.sh (a step of scripts/test.sh) against the local
 * stand-in for node:24-bookworm-slim, then run the way Cloud Run runs it:
 * `buildah run` on the host network, PORT and the K_* variables set, the
 * production configuration, a real PostgreSQL. See docs/container.md.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const portal = require('../../../scripts/lib/portal');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const container = require('../../../scripts/lib/container');

const image = container.defaultImage;
// Uncompressed size of the official node:24-bookworm-slim (amd64), the base
// the stand-in replaces: what the image would weigh on the real base.
const REAL_BASE_MB = 230;
const TARGET_MB = 500;

test.describe('container image', () => {
  test.describe.configure({ mode: 'serial' });

  test('is small, non-root and holds production files only', async ({}, testInfo) => {
    const config = container.imageConfig(image);
    expect(
      config,
      `${image} missing: run scripts/container/build.sh`,
    ).toBeTruthy();
    expect(config.User).toBe('node');
    expect(config.WorkingDir).toBe('/app');
    expect(config.Env).toContain('NODE_ENV=production');
    expect(config.Cmd).toEqual([
      'node',
      'packages/backend',
      '--config',
      'app-config.yaml',
      '--config',
      'app-config.production.yaml',
    ]);

    const report = container.buildReport();
    expect(report?.image).toBe(image);
    testInfo.annotations.push({
      type: 'image size',
      description: `${report.image_mb} MB on the stand-in base (${
        report.base_mb
      } MB); own layers ${report.own_layers_mb} MB; on the real base about ${
        report.own_layers_mb + REAL_BASE_MB
      } MB`,
    });
    console.log(
      `container: image ${report.image_mb} MB = stand-in base ${
        report.base_mb
      } MB + own layers ${report.own_layers_mb} MB (on the real base: ~${
        report.own_layers_mb + REAL_BASE_MB
      } MB); built in ${report.build_s} s`,
    );
    expect(report.own_layers_mb + REAL_BASE_MB).toBeLessThan(TARGET_MB);

    const { root, remove } = container.mountImage(image);
    try {
      const app = path.join(root, 'app');
      const exists = (p: string) => fs.existsSync(path.join(root, p));
      // No compilers or build tools.
      for (const tool of [
        'usr/bin/g++',
        'usr/bin/gcc',
        'usr/bin/make',
        'usr/bin/python3',
      ]) {
        expect(exists(tool), tool).toBe(false);
      }
      // No sources, no yarn install state or caches, no build output other
      // than the bundle.
      for (const dir of ['packages', 'plugins']) {
        for (const pkg of fs.readdirSync(path.join(app, dir))) {
          expect(exists(`app/${dir}/${pkg}/src`), `${dir}/${pkg}/src`).toBe(
            false,
          );
        }
      }
      for (const p of [
        'app/.yarn',
        'app/tsconfig.json',
        'app/dist-types',
        'app/packages/backend/dist/bundle.tar.gz',
        'app/packages/backend/dist/skeleton.tar.gz',
        'root/.yarn',
        'home/node/.yarn',
      ]) {
        expect(exists(p), p).toBe(false);
      }
      expect(exists('app/packages/backend/dist/index.cjs.js')).toBe(true);
      // Pruned (scripts/production-tree.sh): no source maps.
      const maps = fs
        .readdirSync(path.join(app, 'packages/app/dist/static'))
        .filter(f => f.endsWith('.map'));
      expect(maps).toEqual([]);
      expect(
        exists(
          'app/node_modules/@backstage/backend-defaults/dist/index.cjs.js.map',
        ),
      ).toBe(false);
      expect(exists('app/packages/app/dist/index.html')).toBe(true);
      // Production dependencies only (typescript stays: the config loader
      // compiles .d.ts config schemas with it).
      for (const dev of [
        '@backstage/cli',
        'jest',
        '@playwright/test',
        'prettier',
        'eslint',
      ]) {
        expect(exists(`app/node_modules/${dev}`), dev).toBe(false);
      }
      expect(exists('app/node_modules/@backstage/backend-defaults')).toBe(true);
      expect(exists('app/node_modules/typescript')).toBe(true);
      // The code is root's, read-only to the server's user.
      const st = fs.statSync(app);
      expect(st.uid).toBe(0);
      expect(st.mode & 0o002).toBe(0);
      expect(fs.statSync(path.join(app, 'node_modules')).uid).toBe(0);
    } finally {
      remove();
    }
  });

  test('runs as on Cloud Run: ready, UI, authenticated API, SIGTERM exits 0 within 10 s', async ({}, testInfo) => {
    test.setTimeout(240_000);
    const pg = portal.startPostgres(path.join(portal.workDir, 'container-pg'));
    // Cloud Run's port, unless something here uses it already.
    let port = 8080;
    if (
      !(await fetch('http://127.0.0.1:8080/').then(
        () => false,
        () => true,
      ))
    ) {
      port = await portal.freePort();
    }
    const token = `container-${Math.random()
      .toString(36)
      .slice(2)}-token-0123456789`;
    const logFile = path.join(portal.workDir, 'container-server.log');
    const run = container.runImage({
      image,
      env: {
        ...portal.contractEnv({ pg, port, token }),
        PORT: String(port),
        NODE_ENV: 'production',
        K_SERVICE: 'portal',
        K_REVISION: 'portal-00001-abc',
        K_CONFIGURATION: 'portal',
      },
      logFile,
    });
    try {
      const readyMs = await run.waitReady();
      testInfo.annotations.push({
        type: 'readiness',
        description: `${readyMs} ms from buildah run to readiness`,
      });
      console.log(
        `container: ready ${readyMs} ms after buildah run (port ${port})`,
      );

      // The server is the image's node process, running as node (uid 1000).
      const pid = run.serverPid();
      expect(pid, 'node process in the container').toBeTruthy();
      const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
      expect(/^Uid:\s+(\d+)/m.exec(status)?.[1]).toBe('1000');

      const html = await (await fetch(`${run.base}/`)).text();
      expect(html).toContain('<div id="root">');
      expect(html).toMatch(/<script[^>]+src="[^"]*static\/[^"]+\.js"/);
      const script = /<script[^>]+src="([^"]*static\/[^"]+\.js)"/.exec(
        html,
      )![1];
      const js = await fetch(new URL(script, `${run.base}/`));
      expect(js.status).toBe(200);

      const authed = await fetch(`${run.base}/api/catalog/entities?limit=1`, {
        headers: { Authorization: `Bearer ${token}` },
      });
      expect(authed.status).toBe(200);
      expect(Array.isArray(await authed.json())).toBe(true);
      const anonymous = await fetch(`${run.base}/api/catalog/entities?limit=1`);
      expect(anonymous.status).toBe(401);

      // The configuration loaded with every schema, and nothing failed.
      const log = run.output();
      expect(log).not.toMatch(
        /Config validation failed|config schema|configSchema|Cannot find module/i,
      );
      expect(log).not.toMatch(/"severity":"(ERROR|CRITICAL|ALERT|EMERGENCY)"/);
      // Structured for Cloud Logging, as in production.
      expect(log).toContain('"severity":"INFO"');

      const t0 = Date.now();
      process.kill(pid, 'SIGTERM');
      const exit = await Promise.race([
        run.exited,
        new Promise<undefined>(r => setTimeout(() => r(undefined), 10_000)),
      ]);
      expect(exit, 'exited within 10 s of SIGTERM').toBeTruthy();
      expect(exit!.code).toBe(0);
      console.log(`container: exited 0, ${exit!.at - t0} ms after SIGTERM`);
    } finally {
      await run.remove();
      pg.stop();
    }
  });
});
