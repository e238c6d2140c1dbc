// Test preload (`node -r scripts/lib/cloud-sql-admin-endpoint.js`): every
// Cloud SQL Node connector made in the process talks to the SQL Admin API at
// $CLOUD_SQL_ADMIN_API_ENDPOINT (cloud-sql-fake.js). The connector reads that
// address only from its constructor options (`sqlAdminAPIEndpoint`), and
// Backstage's postgres connector constructs it without options; this is the
// one seam the tests need. Not for production.
'use strict';
const Module = require('node:module');

const endpoint = process.env.CLOUD_SQL_ADMIN_API_ENDPOINT;
const target = require.resolve('@google-cloud/cloud-sql-connector');
let patched;
const load = Module._load;
Module._load = function loadWithEndpoint(request, parent, isMain) {
  const exports = load.call(this, request, parent, isMain);
  if (
    !endpoint ||
    !request.includes('cloud-sql-connector') ||
    Module._resolveFilename(request, parent, isMain) !== target
  ) {
    return exports;
  }
  if (!patched) {
    class Connector extends exports.Connector {
      constructor(opts = {}) {
        super({ sqlAdminAPIEndpoint: endpoint, ...opts });
      }
    }
    patched = { ...exports, Connector };
  }
  return patched;
};
