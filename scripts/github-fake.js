#!/usr/bin/env node
// Runs the local GitHub fake (scripts/lib/github-fake.js) on its own, for
// `PORTAL_GITHUB=fake ./scripts/start.sh` and for trying things by hand:
//
//   node scripts/github-fake.js [--port 7010] [--org acme] [--repos 20]
//                               [--users 12] [--teams 6]
//
// Once listening it prints one line of JSON to stdout:
//   {"ready":true,"url":"http://127.0.0.1:7010","org":"acme","token":"..."}
// Point the portal at it with GITHUB_API_URL=<url> GITHUB_TOKEN=<token>
// GITHUB_ORG=<org>. SIGTERM/SIGINT stop it.
'use strict';
const { generateOrg, startGithubFake } = require('./lib/github-fake');
const { option, serve } = require('./lib/cli');

serve(async () => {
  const state = generateOrg({
    org: option('org', 'acme'),
    repos: Number(option('repos', 20)),
    users: Number(option('users', 12)),
    teams: Number(option('teams', 6)),
  });
  const fake = await startGithubFake({
    state,
    port: Number(option('port', 0)),
  });
  return {
    ready: { url: fake.url, org: state.org, token: fake.token },
    stop: () => fake.close(),
  };
});
