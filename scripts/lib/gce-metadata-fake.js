// The GCE metadata server, as far as Application Default Credentials use it on
// Cloud Run: google-auth-library finds it through GCE_METADATA_HOST=<host:port>
// and asks it for the project and for short-lived access tokens of the
// instance's service account. Shared by the local Google API servers
// (gcs-fake.js, secret-manager-fake.js), which accept only the tokens it
// issued and only until they expire.
'use strict';
const crypto = require('node:crypto');

const PROJECT = { id: 'fake-project', number: '123456789012' };
const SA_EMAIL = `fake-sa@${PROJECT.id}.iam.gserviceaccount.com`;

/**
 * @param {{ tokenLifetimeSeconds: number, advertisedLifetimeSeconds?: number }} auth
 */
function createMetadataServer(auth) {
  const tokens = new Map(); // access token -> expiry (ms)
  const metadata = {
    project: PROJECT,
    serviceAccount: SA_EMAIL,
    /** Access tokens handed out, oldest first. */
    tokensIssued: [],
    /** Token requests served. */
    tokenRequests: 0,
    /** Whether `authorization` (`Bearer <token>`) holds an unexpired token of ours. */
    authorized(authorization) {
      const token = /^Bearer (.+)$/i.exec(authorization ?? '')?.[1];
      return tokens.get(token) > Date.now();
    },
    /** Whether a request is for the metadata server (rather than the API). */
    matches(pathname) {
      return /^\/(computeMetadata\/|$)/.test(pathname);
    },
    /** Answers a metadata request (node:http req/res). */
    handle(req, res, url) {
      res.setHeader('Metadata-Flavor', 'Google');
      const p = url.pathname
        .replace(/\/+$/, '')
        .replace(/service-accounts\/[^/]+/, 'service-accounts/default');
      const sa = '/computeMetadata/v1/instance/service-accounts/default';
      const text = body => {
        res.writeHead(200, { 'content-type': 'application/text' });
        res.end(body);
      };
      if (p === '') return text('computeMetadata/\n');
      if (req.headers['metadata-flavor'] !== 'Google') {
        res.writeHead(403, { 'content-type': 'text/html; charset=UTF-8' });
        return res.end('Missing required header: "Metadata-Flavor"\n');
      }
      const v1 = '/computeMetadata/v1';
      const answers = {
        [v1]: 'instance/\nproject/\nuniverse/\n',
        [`${v1}/instance`]: 'service-accounts/\n',
        [`${v1}/instance/service-accounts`]: `default/\n${SA_EMAIL}/\n`,
        [sa]: 'aliases\nemail\nscopes\ntoken\n',
        [`${sa}/aliases`]: 'default\n',
        [`${sa}/email`]: SA_EMAIL,
        [`${sa}/scopes`]: 'https://www.googleapis.com/auth/cloud-platform\n',
        [`${v1}/project/project-id`]: PROJECT.id,
        [`${v1}/project/numeric-project-id`]: PROJECT.number,
        [`${v1}/universe/universe-domain`]: 'googleapis.com',
      };
      if (p === `${sa}/token`) {
        metadata.tokenRequests += 1;
        const token = `ya29.fake-${crypto
          .randomBytes(24)
          .toString('base64url')}`;
        const lifetime = auth.tokenLifetimeSeconds;
        tokens.set(token, Date.now() + lifetime * 1000);
        metadata.tokensIssued.push(token);
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(
          JSON.stringify({
            access_token: token,
            expires_in: auth.advertisedLifetimeSeconds ?? lifetime,
            token_type: 'Bearer',
          }),
        );
      }
      const answer = answers[p];
      if (answer === undefined) {
        res.writeHead(404, { 'content-type': 'text/html; charset=UTF-8' });
        return res.end('Not Found\n');
      }
      return text(answer);
    },
  };
  return metadata;
}

module.exports = { createMetadataServer, PROJECT, SA_EMAIL };
