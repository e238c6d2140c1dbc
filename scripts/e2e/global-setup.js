// Playwright global setup: PostgreSQL, the production tree, an Okta stand-in,
// a local Cloud Storage bucket with the sample API specs (examples/api-specs)
// and one production server (demo data, guest and Okta sign-in, a static API
// token) for all e2e tests.
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const portal = require('../lib/portal');
const { startOktaStandIn } = require('../lib/okta');
const { seedFromDir, startGcsFake } = require('../lib/gcs-fake');
const oktaUsers = require('./okta-users');

module.exports = async function globalSetup() {
  const tree = portal.productionTree();
  // scripts/test.sh passes its PostgreSQL in PORTAL_PG_PORT; otherwise start one.
  const pg = process.env.PORTAL_PG_PORT
    ? { host: '127.0.0.1', port: Number(process.env.PORTAL_PG_PORT), stop() {} }
    : portal.startPostgres(path.join(portal.workDir, 'e2e-pg'));
  const port = await portal.freePort();
  const token = `e2e-${Math.random().toString(36).slice(2)}-token-0123456789`;
  fs.mkdirSync(portal.workDir, { recursive: true });
  const client = {
    clientId: 'portal-e2e',
    clientSecret: `secret-${Math.random().toString(36).slice(2)}`,
  };
  const okta = await startOktaStandIn({
    users: oktaUsers,
    clients: [
      {
        client_id: client.clientId,
        client_secret: client.clientSecret,
        redirect_uris: [`http://127.0.0.1:${port}/api/auth/okta/handler/frame`],
      },
    ],
    logFile: path.join(portal.workDir, 'e2e-okta.log'),
  });
  // API specs: the sample specs in a local Cloud Storage bucket.
  const gcs = await startGcsFake({
    buckets: {
      'portal-api-docs': seedFromDir(
        path.join(__dirname, '../../examples/api-specs'),
        { prefix: 'apis/' },
      ),
    },
  });
  const server = portal.startServer({
    tree,
    env: {
      ...portal.contractEnv({
        pg,
        port,
        token,
        okta: { ...client, audience: okta.audience, authServerId: 'default' },
      }),
      ...portal.apiDocsEnv(gcs.url),
    },
    logFile: path.join(portal.workDir, 'e2e-server.log'),
  });
  await server.waitReady();
  Object.assign(process.env, {
    PORTAL_URL: server.base,
    PORTAL_API_TOKEN: token,
    PORTAL_TREE: tree,
    PORTAL_PG_HOST: pg.host,
    PORTAL_PG_PORT: String(pg.port),
    PORTAL_OKTA_AUDIENCE: okta.audience,
    PORTAL_GCS_URL: gcs.url,
  });
  return async () => {
    await server.stop();
    await okta.stop();
    await gcs.stop();
    pg.stop();
  };
};
