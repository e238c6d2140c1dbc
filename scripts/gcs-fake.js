#!/usr/bin/env node
// Runs the local Google Cloud Storage fake (scripts/lib/gcs-fake.js) with one
// bucket seeded from a directory, for local development of the API-spec
// catalog provider and for trying things by hand:
//
//   node scripts/gcs-fake.js [--port 7011] [--bucket portal-api-docs]
//                            [--seed examples/api-specs] [--prefix apis/]
//                            [--token-lifetime <seconds>]
//
// Each file under --seed is an object named --prefix + its relative path; a
// `.gcs-metadata.json` there ({"<relative path>": {"key": "value"}}) holds
// custom metadata. --token-lifetime turns on auth mode (the fake is also the
// GCE metadata server; set GCE_METADATA_HOST=127.0.0.1:<port>).
//
// Once listening it prints one line of JSON to stdout:
//   {"ready":true,"url":"http://127.0.0.1:7011","bucket":"...","objects":3}
// Point the client at it with `new Storage({ apiEndpoint: url })` or
// STORAGE_EMULATOR_HOST=<url>. SIGTERM/SIGINT stop it.
'use strict';
const { seedFromDir, startGcsFake } = require('./lib/gcs-fake');
const { option, serve } = require('./lib/cli');

serve(async () => {
  const bucket = option('bucket', 'portal-api-docs');
  const seed = option('seed');
  const objects = seed
    ? seedFromDir(seed, { prefix: option('prefix', '') })
    : {};
  const lifetime = option('token-lifetime');
  const fake = await startGcsFake({
    port: Number(option('port', 0)),
    buckets: { [bucket]: objects },
    auth: lifetime ? { tokenLifetimeSeconds: Number(lifetime) } : undefined,
  });
  return {
    ready: { url: fake.url, bucket, objects: Object.keys(objects).length },
    stop: () => fake.stop(),
  };
});
