// A local stand-in for an Okta authorization server, for the e2e tests, the
// scripts and (optionally) developers. It is `oidc-provider` 9 configured the
// way Backstage's Okta provider (passport strategy
// @davidzemon/passport-okta-oauth) expects Okta to behave:
//
//   issuer   http://127.0.0.1:<port>/oauth2/<authServerId>
//   routes   <issuer>/v1/authorize, /v1/token, /v1/userinfo, /v1/keys,
//            /v1/revoke, /v1/introspect, /v1/logout,
//            /.well-known/openid-configuration
//   Backstage config: audience = http://127.0.0.1:<port>, authServerId
//
//   node scripts/okta-standin.mjs --config <file.json>
//
// The config file:
//   { "port": 0, "authServerId": "default",
//     "clients": [{ "client_id", "client_secret", "redirect_uris": [...] }],
//     "users": { "<login>": { "email"?, "name"?, "groups"? } } }
// Port 0 picks a free port. Once listening, exactly one line of JSON goes to
// stdout: {"ready":true,"port":N,"audience":"...","issuer":"..."}; everything
// else (errors, rejected requests) goes to stderr. SIGTERM/SIGINT stop it.
//
// Sign-in uses oidc-provider's built-in development forms (devInteractions):
// a login form (`input[name=login]`, `input[name=password]`, any password is
// accepted) and a consent form (one submit button). A login that is not in
// `users` is refused: the login form comes back (HTTP 401) with an error
// paragraph (`#okta-standin-error`), the authorization request stays pending.
//
// Okta quirks handled before oidc-provider sees a request:
//   - the strategy's `Authorization: Basic: <base64>` (colon after Basic) on
//     /v1/token becomes `Basic <base64>` (client_secret_basic; the refresh
//     grant Backstage runs through plain node-oauth uses client_secret_post,
//     which is accepted too);
//   - an /v1/authorize request with offline_access but no `prompt` gets
//     prompt=consent: Backstage asks for prompt=consent but the passport
//     strategy drops it, and without it oidc-provider would drop
//     offline_access (the consent form is therefore shown on every sign-in);
//   - an empty-bodied POST /v1/userinfo loses its content-type.
// PKCE is not required; a refresh token is issued to every client allowed the
// refresh_token grant (the default for the configured clients).
//
// Claims: sub = login; scope email -> email, email_verified (a user without
// `email` has no email claims at all); profile -> name, preferred_username,
// given_name, family_name; groups -> groups (only if the user has `groups`).
// Like Okta with a groups claim configured, the scope claims are also put
// into the ID token.
//
// Test fault control (not under the issuer):
//   POST /__control {"idToken": null|"tampered"|"expired"|"wrong-audience"}
//   POST /__control {"reset": true}       GET /__control -> {"idToken": mode}
// The mode is applied to the id_token of every following token-endpoint
// response (authorization_code and refresh_token grants):
//   tampered       one character of the payload segment changed (the last
//                  digit of `iat` has its lowest bit flipped, so the payload
//                  is still valid JSON), original signature kept
//   expired        same claims re-signed with the stand-in's key, with
//                  exp one hour in the past (iat/auth_time shifted likewise)
//   wrong-audience same claims re-signed with aud "some-other-client"

import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import { randomBytes } from 'node:crypto';
import { format, parseArgs } from 'node:util';

// oidc-provider prints development notices with console.info (stdout) and
// warnings with console.warn. Stdout carries only the ready line, so route all
// console output to stderr, and drop the notices that are expected for a
// development-only stand-in (in-memory adapter, devInteractions, defaults).
const quiet = [
  /oidc-provider NOTICE/,
  /development-only/,
  /already parsed request body detected/,
  /default .* function called/,
];
const toStderr =
  filter =>
  (...args) => {
    const text = format(...args);
    if (filter && quiet.some(re => re.test(text))) return;
    process.stderr.write(`${text}\n`);
  };
console.log = toStderr(false);
console.info = toStderr(true);
console.debug = toStderr(true);
console.warn = toStderr(true);

const { default: Provider } = await import('oidc-provider');
const jose = await import('jose');

// ---------------------------------------------------------------------------
// Configuration

const { values: argv } = parseArgs({
  options: { config: { type: 'string' } },
});
if (!argv.config) {
  process.stderr.write(
    'usage: node scripts/okta-standin.mjs --config <file.json>\n',
  );
  process.exit(2);
}
const config = JSON.parse(readFileSync(argv.config, 'utf8'));
const listenPort = Number(config.port ?? 0);
const authServerId = config.authServerId ?? 'default';
const users = config.users ?? {};
const clients = (config.clients ?? []).map(c => ({
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  token_endpoint_auth_method: 'client_secret_basic',
  ...c,
}));
const mountPath = `/oauth2/${authServerId}`;

const FAULT_MODES = new Set(['tampered', 'expired', 'wrong-audience']);
let idTokenFault = null;

function log(message) {
  process.stderr.write(`[okta-standin] ${message}\n`);
}

/** The claims of a configured user; undefined for an unknown login. */
function userClaims(login) {
  if (!Object.prototype.hasOwnProperty.call(users, login)) return undefined;
  const user = users[login] ?? {};
  const name = user.name ?? login;
  const [given, ...rest] = name.split(' ');
  const claims = {
    sub: login,
    name,
    preferred_username: user.preferred_username ?? login,
    given_name: user.given_name ?? given,
    family_name: user.family_name ?? (rest.length ? rest.join(' ') : undefined),
  };
  if (user.email !== undefined) {
    claims.email = user.email;
    claims.email_verified = user.email_verified ?? true;
  }
  if (user.groups !== undefined) claims.groups = user.groups;
  return claims;
}

// ---------------------------------------------------------------------------
// Signing key: generated per run, exported with a kid so that oidc-provider
// publishes it at /v1/keys and the stand-in can re-sign ID tokens with it.

const { privateKey } = await jose.generateKeyPair('RS256', {
  extractable: true,
});
const signingJwk = {
  ...(await jose.exportJWK(privateKey)),
  kid: `standin-${randomBytes(6).toString('hex')}`,
  alg: 'RS256',
  use: 'sig',
};

// ---------------------------------------------------------------------------
// The provider. The issuer needs the port, so the server listens first.

const server = http.createServer();
await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(listenPort, '127.0.0.1', resolve);
});
const { port } = server.address();
const audience = `http://127.0.0.1:${port}`;
const issuer = `${audience}${mountPath}`;

const DAY = 24 * 60 * 60;

const provider = new Provider(issuer, {
  clients,
  jwks: { keys: [signingJwk] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  routes: {
    authorization: '/v1/authorize',
    token: '/v1/token',
    userinfo: '/v1/userinfo',
    jwks: '/v1/keys',
    revocation: '/v1/revoke',
    introspection: '/v1/introspect',
    end_session: '/v1/logout',
    pushed_authorization_request: '/v1/par',
  },
  scopes: ['openid', 'email', 'profile', 'offline_access', 'groups'],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'preferred_username', 'given_name', 'family_name'],
    groups: ['groups'],
  },
  // Okta puts the scope claims (and a configured groups claim) into the ID
  // token as well, not only into /userinfo.
  conformIdTokenClaims: false,
  features: {
    devInteractions: { enabled: true },
    introspection: { enabled: true, allowedPolicy: async () => true },
    revocation: { enabled: true, allowedPolicy: async () => true },
    rpInitiatedLogout: { enabled: true },
  },
  pkce: { required: () => false },
  // Refresh tokens whenever the client may use them (Backstage asks for
  // offline_access; Okta issues one then).
  issueRefreshToken: async (ctx, client) =>
    client.grantTypeAllowed('refresh_token'),
  async findAccount(ctx, sub) {
    const claims = userClaims(sub);
    if (!claims) return undefined;
    return { accountId: sub, claims: async () => claims };
  },
  clientBasedCORS: () => true,
  ttl: {
    AccessToken: 3600,
    AuthorizationCode: 60,
    ClientCredentials: 600,
    IdToken: 3600,
    RefreshToken: 14 * DAY,
    Interaction: 3600,
    Session: 14 * DAY,
    Grant: 14 * DAY,
  },
  async renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Okta stand-in error</title></head><body><h1>oops! something went wrong</h1>${Object.entries(
      out,
    )
      .map(([k, v]) => `<pre><strong>${esc(k)}</strong>: ${esc(v)}</pre>`)
      .join('')}</body></html>`;
  },
});

// oidc-provider validates static clients on first use; fail at start instead.
for (const { client_id: clientId } of clients) {
  try {
    await provider.Client.find(clientId);
  } catch (err) {
    log(
      `invalid client ${clientId}: ${err.message}${
        err.error_description ? ` (${err.error_description})` : ''
      }`,
    );
    process.exit(1);
  }
}

// Errors: the provider's own failures in full, rejected requests in one line.
provider.on('server_error', (ctx, err) =>
  log(`server error on ${ctx.method} ${ctx.path}: ${err.stack ?? err}`),
);
for (const event of [
  'authorization.error',
  'grant.error',
  'userinfo.error',
  'introspection.error',
  'revocation.error',
  'end_session.error',
  'jwks.error',
  'discovery.error',
]) {
  provider.on(event, (ctx, err) =>
    log(
      `${event}: ${err.error ?? err.name}${
        err.error_description ? ` (${err.error_description})` : ''
      } on ${ctx.method} ${ctx.path}`,
    ),
  );
}

const callback = provider.callback();

function esc(value) {
  return String(value).replace(
    /[&<>"']/g,
    c =>
      ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[
        c
      ]),
  );
}

// ---------------------------------------------------------------------------
// ID token faults

function b64urlJson(segment) {
  return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
}

async function resign(idToken, changeClaims) {
  const header = jose.decodeProtectedHeader(idToken);
  const claims = changeClaims(jose.decodeJwt(idToken));
  return new jose.SignJWT(claims).setProtectedHeader(header).sign(privateKey);
}

async function applyIdTokenFault(idToken, mode) {
  switch (mode) {
    case 'tampered': {
      // Flip the lowest bit of the last digit of "iat": the digit stays a
      // digit (iat moves by one second), the JSON stays valid, and exactly
      // one base64url character of the payload segment changes.
      const [h, p, s] = idToken.split('.');
      const json = Buffer.from(p, 'base64url');
      const text = json.toString('latin1');
      const m = /"iat":\s*\d*(\d)/.exec(text);
      const at = m ? m.index + m[0].length - 1 : text.length - 2;
      json[at] ^= 1;
      return [h, json.toString('base64url'), s].join('.');
    }
    case 'expired':
      return resign(idToken, claims => {
        const now = Math.floor(Date.now() / 1000);
        const shift = (claims.exp ?? now) - (now - 3600);
        const out = { ...claims, exp: now - 3600 };
        out.iat = (claims.iat ?? now) - shift;
        if (claims.auth_time !== undefined) {
          out.auth_time = Math.min(claims.auth_time, out.iat);
        }
        return out;
      });
    case 'wrong-audience':
      return resign(idToken, claims => {
        const { azp, ...rest } = claims;
        return { ...rest, aud: 'some-other-client' };
      });
    default:
      return idToken;
  }
}

// ---------------------------------------------------------------------------
// HTTP plumbing

/**
 * Buffers what the provider (Koa) writes to `res` and passes it through
 * `transform(body: Buffer) => Buffer|string|undefined` (undefined: unchanged)
 * before sending. Koa sends string/Buffer bodies with a single res.end().
 */
function transformResponse(res, transform) {
  const chunks = [];
  const write = res.write.bind(res);
  const end = res.end.bind(res);
  res.write = (chunk, encoding, cb) => {
    if (typeof encoding === 'function') [cb, encoding] = [encoding, undefined];
    if (chunk) chunks.push(Buffer.from(chunk, encoding));
    cb?.();
    return true;
  };
  res.end = (chunk, encoding, cb) => {
    if (typeof chunk === 'function') [cb, chunk] = [chunk, undefined];
    if (typeof encoding === 'function') [cb, encoding] = [encoding, undefined];
    if (chunk) chunks.push(Buffer.from(chunk, encoding));
    const body = Buffer.concat(chunks);
    Promise.resolve()
      .then(() => transform(body))
      .catch(err => {
        log(`response transform failed: ${err.stack ?? err}`);
        return undefined;
      })
      .then(out => {
        const data = out === undefined ? body : Buffer.from(out);
        if (!res.headersSent && res.hasHeader('content-length')) {
          res.setHeader('content-length', data.length);
        }
        res.write = write;
        res.end = end;
        end(data.length ? data : undefined, cb);
      });
    return res;
  };
}

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req.iterator({ destroyOnReturn: false })) {
    chunks.push(chunk);
    if (chunks.reduce((n, c) => n + c.length, 0) > 64 * 1024) {
      throw new Error('request body too large');
    }
  }
  return Buffer.concat(chunks);
}

function sendJson(res, status, body) {
  const data = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(data),
    'cache-control': 'no-store',
  });
  res.end(data);
}

async function handleControl(req, res) {
  if (req.method === 'GET') {
    return sendJson(res, 200, { idToken: idTokenFault });
  }
  if (req.method !== 'POST') {
    return sendJson(res, 405, { error: 'use GET or POST' });
  }
  let body;
  try {
    body = JSON.parse((await readBody(req)).toString('utf8') || '{}');
  } catch {
    return sendJson(res, 400, { error: 'body must be JSON' });
  }
  if (body.reset) {
    idTokenFault = null;
  } else if ('idToken' in body) {
    if (body.idToken !== null && !FAULT_MODES.has(body.idToken)) {
      return sendJson(res, 400, {
        error: `idToken must be null or one of ${[...FAULT_MODES].join(', ')}`,
      });
    }
    idTokenFault = body.idToken;
  } else {
    return sendJson(res, 400, { error: 'expected {idToken} or {reset:true}' });
  }
  log(`id token fault: ${idTokenFault ?? 'none'}`);
  return sendJson(res, 200, { idToken: idTokenFault });
}

const INTERACTION = /^\/interaction\/[^/]+$/;

async function handleProvider(req, res) {
  // Mount under /oauth2/<authServerId>: oidc-provider derives the mount path
  // from req.originalUrl minus req.url.
  req.originalUrl = req.url;
  req.url = req.url.slice(mountPath.length) || '/';
  const path = req.url.split('?')[0];

  // The Okta passport strategy sends "Authorization: Basic: <base64>".
  const auth = req.headers.authorization;
  if (auth && /^\s*basic:/i.test(auth)) {
    req.headers.authorization = `Basic ${auth.replace(/^\s*basic:\s*/i, '')}`;
  }

  // Backstage's okta authenticator asks for prompt=consent, but the passport
  // strategy drops it, and oidc-provider then drops offline_access (OIDC
  // Core 11). Okta grants offline_access without it; so add prompt=consent
  // when offline_access is asked for without any prompt. (The consent form
  // is then shown on every sign-in.)
  if (req.method === 'GET' && path === '/v1/authorize') {
    const url = new URL(req.url, issuer);
    const scopes = (url.searchParams.get('scope') ?? '').split(' ');
    if (scopes.includes('offline_access') && !url.searchParams.has('prompt')) {
      url.searchParams.set('prompt', 'consent');
      req.url = `${url.pathname}${url.search}`;
      req.originalUrl = `${mountPath}${req.url}`;
    }
  }

  // The strategy POSTs to /v1/userinfo with an empty body; a client that
  // labels an empty body (e.g. text/plain) would be refused by the provider.
  if (
    path === '/v1/userinfo' &&
    req.method === 'POST' &&
    req.headers['content-length'] === '0'
  ) {
    delete req.headers['content-type'];
  }

  let refusedLogin;
  if (req.method === 'POST' && INTERACTION.test(path)) {
    // Check the login of the dev login form before the provider accepts any
    // login. The provider then reads the buffered body from req.body.
    const raw = await readBody(req);
    const form = new URLSearchParams(raw.toString('utf8'));
    if (form.get('prompt') === 'login' && !userClaims(form.get('login'))) {
      refusedLogin = form.get('login') ?? '';
      log(`login refused for unknown user "${refusedLogin}"`);
      // Render the login form of the same interaction again.
      req.method = 'GET';
      delete req.headers['content-type'];
      delete req.headers['content-length'];
    } else {
      req.body = raw;
    }
  }

  if (path === '/v1/token') {
    transformResponse(res, async body => {
      if (!idTokenFault || res.statusCode !== 200) return undefined;
      const json = JSON.parse(body.toString('utf8'));
      if (!json.id_token) return undefined;
      json.id_token = await applyIdTokenFault(json.id_token, idTokenFault);
      return JSON.stringify(json);
    });
  } else if (req.method === 'GET') {
    transformResponse(res, body => {
      if (!/text\/html/.test(String(res.getHeader('content-type')))) {
        return undefined;
      }
      // The dev forms import a web font; offline browsers should not wait
      // for it.
      let html = body
        .toString('utf8')
        .replace(/@import url\(https:\/\/fonts\.googleapis\.com[^)]*\);?/g, '');
      if (refusedLogin !== undefined) {
        res.statusCode = 401;
        html = html.replace(
          /(<\/h1>)/,
          `$1<p id="okta-standin-error" style="color:#d50000">Unknown user "${esc(
            refusedLogin,
          )}"</p>`,
        );
      }
      return html;
    });
  }

  return callback(req, res);
}

server.on('request', (req, res) => {
  const path = req.url.split('?')[0];
  let handled;
  if (path === '/__control') {
    handled = handleControl(req, res);
  } else if (path === mountPath || path.startsWith(`${mountPath}/`)) {
    handled = handleProvider(req, res);
  } else {
    handled = Promise.resolve(
      sendJson(res, 404, {
        error: `not found; the authorization server is at ${issuer}`,
      }),
    );
  }
  handled.catch(err => {
    log(`request failed: ${req.method} ${req.url}: ${err.stack ?? err}`);
    if (!res.headersSent) sendJson(res, 500, { error: String(err.message) });
    else res.destroy();
  });
});

// ---------------------------------------------------------------------------
// Ready, and shutdown

function shutdown(signal) {
  log(`${signal}, stopping`);
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));

process.stdout.write(
  `${JSON.stringify({ ready: true, port, audience, issuer })}\n`,
);
