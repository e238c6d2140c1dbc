// Playwright global setup: PostgreSQL, the production tree and one production
// server (demo data, guest sign-in, a static API token) for all e2e tests.
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const portal = require('../lib/portal');

module.exports = async function globalSetup() {
  const tree = portal.productionTree();
  // scripts/test.sh passes its PostgreSQL in PORTAL_PG_PORT; otherwise start one.
  const pg = process.env.PORTAL_PG_PORT
    ? { host: '127.0.0.1', port: Number(process.env.PORTAL_PG_PORT), stop() {} }
    : portal.startPostgres(path.join(portal.workDir, 'e2e-pg'));
  const port = await portal.freePort();
  const token = `e2e-${Math.random().toString(36).slice(2)}-token-0123456789`;
  fs.mkdirSync(portal.workDir, { recursive: true });
  const server = portal.startServer({
    tree,
    env: portal.contractEnv({ pg, port, token }),
    logFile: path.join(portal.workDir, 'e2e-server.log'),
  });
  await server.waitReady();
  Object.assign(process.env, {
    PORTAL_URL: server.base,
    PORTAL_API_TOKEN: token,
    PORTAL_TREE: tree,
    PORTAL_PG_HOST: pg.host,
    PORTAL_PG_PORT: String(pg.port),
  });
  return async () => {
    await server.stop();
    pg.stop();
  };
};
