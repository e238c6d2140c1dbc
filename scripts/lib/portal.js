// Helpers shared by the smoke/e2e tests and the benchmark: a throwaway
// PostgreSQL, the production tree (scripts/production-tree.sh) and the
// production server started from it exactly as the container starts it.
'use strict';
const { execFileSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const repoRoot = path.resolve(__dirname, '../..');
const postgresScript = path.join(repoRoot, 'scripts/postgres.sh');
const workDir =
  process.env.PORTAL_WORK_DIR || path.join(repoRoot, '.cache/portal');

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * Starts a throwaway PostgreSQL cluster in `dir`. `fresh` (default) wipes
 * whatever an earlier run left there first. `socketDir` puts its Unix socket
 * there (`<socketDir>/.s.PGSQL.<port>`) instead of in `dir`.
 */
function startPostgres(
  dir = path.join(os.tmpdir(), `portal-pg-${process.pid}`),
  { fresh = true, socketDir } = {},
) {
  const stop = () =>
    execFileSync(postgresScript, ['stop', dir], { stdio: 'ignore' });
  if (fresh && fs.existsSync(dir)) {
    stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const out = execFileSync(
    postgresScript,
    ['start', dir, ...(socketDir ? ['--socket-dir', socketDir] : [])],
    { encoding: 'utf8' },
  );
  return {
    host: '127.0.0.1',
    port: Number(/PGPORT=(\d+)/.exec(out)[1]),
    socketDir: socketDir ?? dir,
    stop,
  };
}

/** Builds (if needed) and lays out the production tree; returns its path. */
function productionTree(dir = path.join(workDir, 'production')) {
  const dist = path.join(repoRoot, 'packages/backend/dist/bundle.tar.gz');
  if (!fs.existsSync(dist)) {
    throw new Error(`${dist} is missing: run 'yarn build:backend' first`);
  }
  execFileSync(path.join(repoRoot, 'scripts/production-tree.sh'), [dir], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return dir;
}

const demoConfig = ['--config', 'examples/app-config.demo.yaml'];

/**
 * Resolves with ms from `started` to a 200 from `base`'s readiness endpoint;
 * rejects with the output's tail when the process exits first or the time is
 * up.
 */
async function waitReady({ base, started, exited, output, what, timeoutMs }) {
  const deadline = Date.now() + timeoutMs;
  let done = false;
  exited.then(() => (done = true));
  while (Date.now() < deadline) {
    if (done) {
      throw new Error(
        `${what} exited before it was ready:\n${output().slice(-4000)}`,
      );
    }
    try {
      const res = await fetch(`${base}/.backstage/health/v1/readiness`);
      if (res.status === 200) return Date.now() - started;
    } catch {
      /* not listening yet */
    }
    await new Promise(r => setTimeout(r, 25));
  }
  throw new Error(
    `${what} not ready after ${timeoutMs} ms:\n${output().slice(-4000)}`,
  );
}

/**
 * Keeps a child's stdout and stderr (the last 1-2 MB; all of it in `logFile`
 * when given). `exited` resolves with its exit code, signal and time.
 */
function collectOutput(child, logFile) {
  let output = '';
  const sink = logFile ? fs.createWriteStream(logFile) : undefined;
  const collect = d => {
    output += d;
    if (output.length > 2_000_000) output = output.slice(-1_000_000);
    sink?.write(d);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = new Promise(resolve =>
    child.on('exit', (code, signal) => {
      sink?.end();
      resolve({ code, signal, at: Date.now() });
    }),
  );
  return { output: () => output, exited };
}

/**
 * Starts `node packages/backend --config app-config.yaml --config
 * app-config.production.yaml [extra]` in `tree`, with NODE_ENV=production and
 * the given environment. Resolves once the process is spawned.
 */
function startServer({ tree, env = {}, extraArgs = demoConfig, logFile }) {
  const args = [
    'packages/backend',
    '--config',
    'app-config.yaml',
    '--config',
    'app-config.production.yaml',
    ...extraArgs,
  ];
  const started = Date.now();
  const child = spawn(process.execPath, args, {
    cwd: tree,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS,
      NODE_ENV: 'production',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const { output, exited } = collectOutput(child, logFile);
  const port = Number(env.PORT || 7007);
  const base = `http://127.0.0.1:${port}`;
  return {
    child,
    base,
    started,
    exited,
    output,
    /** Resolves with ms from spawn to a 200 from the readiness endpoint. */
    waitReady(timeoutMs = 120_000) {
      return waitReady({
        base,
        started,
        exited,
        output,
        what: 'production server',
        timeoutMs,
      });
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null)
        child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
}

/** The e2e suite's PostgreSQL, as scripts/e2e/global-setup.js exports it. */
function sharedPostgres() {
  return {
    host: process.env.PORTAL_PG_HOST,
    port: Number(process.env.PORTAL_PG_PORT),
  };
}

/**
 * The deployment-contract environment for a local PostgreSQL. `okta` is a
 * running stand-in (scripts/lib/okta.js); without one, Okta points at a port
 * nothing listens on (sign-in with Okta then reports Okta unreachable).
 */
function contractEnv({ pg, port, token, okta }) {
  return {
    PORT: String(port),
    APP_BASE_URL: `http://127.0.0.1:${port}`,
    POSTGRES_HOST: pg.host,
    POSTGRES_PORT: String(pg.port),
    POSTGRES_USER: 'postgres',
    POSTGRES_PASSWORD: 'unused',
    OKTA_CLIENT_ID: okta?.clientId ?? 'portal-test-client',
    OKTA_CLIENT_SECRET: okta?.clientSecret ?? 'portal-test-secret',
    OKTA_AUDIENCE: okta?.audience ?? 'http://127.0.0.1:9',
    OKTA_AUTH_SERVER_ID: okta?.authServerId ?? 'default',
    OKTA_ADMIN_GROUP: 'Portal Admins',
    OKTA_TEMPLATE_AUTHOR_GROUP: 'Template Authors',
    // Okta groups portal-<name> count, as group:okta/<name> (scripts/e2e/okta-users.js).
    OKTA_GROUP_PREFIX: 'portal-',
    AUTH_SESSION_SECRET: 'test-session-secret-0123456789abcdef',
    // Trace resource names in the Cloud Logging format.
    GOOGLE_CLOUD_PROJECT: 'portal-e2e',
    ...(token ? { PORTAL_API_TOKEN: token } : {}),
  };
}

/**
 * The API-docs variables of the e2e deployment: the sample specs bucket on
 * the local Cloud Storage server at `url` (scripts/e2e/global-setup.js puts
 * it in PORTAL_GCS_URL). Every instance on the e2e database needs them: an
 * instance without the provider deletes its entities (the catalog's
 * orphanProviderStrategy).
 */
function apiDocsEnv(url = process.env.PORTAL_GCS_URL) {
  return {
    API_DOCS_BUCKET: 'portal-api-docs',
    API_DOCS_PREFIX: 'apis/',
    STORAGE_EMULATOR_HOST: url,
  };
}

/**
 * How the e2e suite and the benchmark launch Debian's Chromium (Playwright
 * cannot download its own browsers here). Flags that work as root and keep
 * Chromium off the network.
 */
const chromiumLaunchOptions = {
  executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
};

/** Waits until `probe` returns a value other than undefined. */
async function waitFor(what, probe, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await new Promise(r => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${last}` : ''}`);
}

module.exports = {
  sharedPostgres,
  collectOutput,
  waitReady,
  repoRoot,
  workDir,
  freePort,
  startPostgres,
  productionTree,
  startServer,
  contractEnv,
  apiDocsEnv,
  demoConfig,
  chromiumLaunchOptions,
  waitFor,
};
