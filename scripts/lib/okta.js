// Helpers for the Okta stand-in (scripts/okta-standin.mjs), used by the
// Playwright tests and Node scripts:
//
//   startOktaStandIn({ users, clients, authServerId, logFile, port })
//     starts the stand-in as a child process; resolves
//     { audience, issuer, port, setIdTokenFault(mode), stop() }.
//   oktaSignIn({ backendBaseUrl, login, password, env, ... })
//     does the whole Backstage Okta popup sign-in with plain fetch and a
//     cookie jar, and returns { message, cookies }: the message the backend
//     posts to the opener window, and the jar (with Backstage's refresh
//     token cookie in it).
//   setIdTokenFault(audience, mode)
//     makes a running stand-in bend the ID tokens it issues (tests).
//
// The URLs, parameters and cookies follow Backstage's own code:
// @backstage/core-app-api DefaultAuthConnector (start/refresh URLs),
// @backstage/plugin-auth-node createOAuthRouteHandlers, OAuthCookieManager
// (cookie names and paths) and sendWebMessageResponse (the popup's HTML).
'use strict';

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const standInScript = path.resolve(__dirname, '../okta-standin.mjs');

// ---------------------------------------------------------------------------
// The stand-in process

/**
 * Starts the Okta stand-in.
 *
 * @param {object} options
 * @param {Record<string, {email?: string, name?: string, groups?: string[]}>} options.users
 *   keyed by login (the login typed into the stand-in's form; also `sub`)
 * @param {{client_id: string, client_secret: string, redirect_uris: string[]}[]} options.clients
 * @param {string} [options.authServerId='default']
 * @param {string} [options.logFile] the stand-in's stderr (and anything else
 *   it prints) is appended there
 * @param {number} [options.port=0] 0 picks a free port
 * @returns {Promise<{audience: string, issuer: string, port: number,
 *   setIdTokenFault: (mode: null|'tampered'|'expired'|'wrong-audience') => Promise<{idToken: string|null}>,
 *   stop: () => Promise<void>}>}
 *   `audience` and `authServerId` are what Backstage's okta provider config
 *   needs (auth.providers.okta.<env>.audience / .authServerId).
 */
function startOktaStandIn({
  users = {},
  clients = [],
  authServerId = 'default',
  logFile,
  port = 0,
} = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'okta-standin-'));
  const configFile = path.join(dir, 'config.json');
  fs.writeFileSync(
    configFile,
    JSON.stringify({ port, authServerId, clients, users }, null, 2),
  );
  const child = spawn(
    process.execPath,
    [standInScript, '--config', configFile],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const sink = logFile ? fs.createWriteStream(logFile, { flags: 'a' }) : null;
  let stderr = '';
  child.stderr.on('data', d => {
    stderr += d;
    if (stderr.length > 200_000) stderr = stderr.slice(-100_000);
    sink?.write(d);
  });
  const exited = new Promise(resolve =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  exited.then(() => {
    sink?.end();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  // Don't leave the stand-in behind if the caller exits without stop().
  const killOnExit = () => child.kill('SIGTERM');
  process.once('exit', killOnExit);

  const stop = async () => {
    process.removeListener('exit', killOnExit);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };

  return new Promise((resolve, reject) => {
    let stdout = '';
    let ready = false;
    const fail = async message => {
      clearTimeout(timer);
      await stop();
      reject(new Error(`${message}\n--- stand-in stderr ---\n${stderr}`));
    };
    const timer = setTimeout(
      () => fail('Okta stand-in not ready after 20 s'),
      20_000,
    );
    child.stdout.on('data', d => {
      if (ready) {
        sink?.write(d);
        return;
      }
      stdout += d;
      const nl = stdout.indexOf('\n');
      if (nl < 0) return;
      let info;
      try {
        info = JSON.parse(stdout.slice(0, nl));
      } catch {
        fail(`Okta stand-in printed an unexpected line: ${stdout}`);
        return;
      }
      if (!info.ready) return;
      ready = true;
      clearTimeout(timer);
      resolve({
        audience: info.audience,
        issuer: info.issuer,
        port: info.port,
        setIdTokenFault: mode => setIdTokenFault(info.audience, mode),
        stop,
      });
    });
    exited.then(({ code, signal }) => {
      if (!ready) {
        clearTimeout(timer);
        reject(
          new Error(
            `Okta stand-in exited (code ${code}, signal ${signal}) before it was ready\n--- stand-in stderr ---\n${stderr}`,
          ),
        );
      }
    });
  });
}

/**
 * Sets how the stand-in at `audience` bends the ID tokens it issues from now
 * on: 'tampered' | 'expired' | 'wrong-audience', or null for none.
 */
async function setIdTokenFault(audience, mode) {
  const res = await fetch(`${audience}/__control`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(
      mode === null || mode === undefined ? { reset: true } : { idToken: mode },
    ),
  });
  const body = await res.json();
  if (!res.ok) {
    throw new Error(`setIdTokenFault(${mode}): ${body.error}`);
  }
  return body;
}

// ---------------------------------------------------------------------------
// Cookies, the way a browser keeps them: keyed by host name (ports ignored),
// with Path and Domain, Max-Age/Expires (deletion included) and Secure.

class CookieJar {
  constructor() {
    /** @type {Map<string, {name, value, domain, hostOnly, path, expires, secure, httpOnly, sameSite}>} */
    this.cookies = new Map();
  }

  static key(c) {
    return `${c.domain};${c.path};${c.name}`;
  }

  /** Stores the Set-Cookie headers of `response` (a fetch Response). */
  storeFrom(url, response) {
    for (const header of response.headers.getSetCookie()) {
      this.set(url, header);
    }
  }

  /** Stores one Set-Cookie header value received from `url`. */
  set(url, setCookie) {
    const u = new URL(url);
    const [pair, ...attrs] = setCookie.split(';');
    const eq = pair.indexOf('=');
    if (eq < 0) return;
    const cookie = {
      name: pair.slice(0, eq).trim(),
      value: pair.slice(eq + 1).trim(),
      domain: u.hostname,
      hostOnly: true,
      path: defaultPath(u.pathname),
      expires: undefined,
      secure: false,
      httpOnly: false,
      sameSite: undefined,
    };
    let maxAge;
    for (const attr of attrs) {
      const i = attr.indexOf('=');
      const key = (i < 0 ? attr : attr.slice(0, i)).trim().toLowerCase();
      const val = i < 0 ? '' : attr.slice(i + 1).trim();
      if (key === 'path' && val.startsWith('/')) cookie.path = val;
      else if (key === 'domain' && val) {
        cookie.domain = val.replace(/^\./, '').toLowerCase();
        cookie.hostOnly = false;
      } else if (key === 'max-age') maxAge = Number(val);
      else if (key === 'expires') cookie.expires = Date.parse(val);
      else if (key === 'secure') cookie.secure = true;
      else if (key === 'httponly') cookie.httpOnly = true;
      else if (key === 'samesite') cookie.sameSite = val;
    }
    if (maxAge !== undefined && !Number.isNaN(maxAge)) {
      cookie.expires = Date.now() + maxAge * 1000;
    }
    const key = CookieJar.key(cookie);
    if (cookie.expires !== undefined && cookie.expires <= Date.now()) {
      this.cookies.delete(key);
    } else {
      this.cookies.set(key, cookie);
    }
  }

  /** The cookies a browser would send to `url`, longest path first. */
  matching(url) {
    const u = new URL(url);
    const host = u.hostname.toLowerCase();
    const now = Date.now();
    return [...this.cookies.values()]
      .filter(c => c.expires === undefined || c.expires > now)
      .filter(c =>
        c.hostOnly
          ? c.domain === host
          : host === c.domain || host.endsWith(`.${c.domain}`),
      )
      .filter(c => pathMatches(u.pathname, c.path))
      .filter(c => !c.secure || u.protocol === 'https:')
      .sort((a, b) => b.path.length - a.path.length);
  }

  /** The Cookie header for a request to `url` ('' when there is none). */
  header(url) {
    return this.matching(url)
      .map(c => `${c.name}=${c.value}`)
      .join('; ');
  }
}

function defaultPath(pathname) {
  if (!pathname.startsWith('/')) return '/';
  const i = pathname.lastIndexOf('/');
  return i <= 0 ? '/' : pathname.slice(0, i);
}

function pathMatches(requestPath, cookiePath) {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/';
}

/**
 * One request with the jar's cookies; redirects are not followed. Returns the
 * Response with its body already read into `text`.
 */
async function jarFetch(jar, url, { method = 'GET', headers = {}, body } = {}) {
  const cookie = jar.header(url);
  const res = await fetch(url, {
    method,
    body,
    redirect: 'manual',
    headers: {
      accept: 'text/html,application/json;q=0.9,*/*;q=0.8',
      'user-agent': 'portal-okta-signin-script',
      ...(cookie ? { cookie } : {}),
      ...headers,
    },
  });
  jar.storeFrom(url, res);
  return { res, url, text: await res.text() };
}

// ---------------------------------------------------------------------------
// The Backstage popup sign-in

const DEFAULT_SCOPE = 'openid email profile offline_access';

/**
 * The form of the stand-in's devInteractions page ('login' or 'consent'), or
 * undefined if `html` is not one of them.
 */
function devInteractionForm(html, pageUrl) {
  const prompt = /name="prompt"\s+value="(login|consent)"/.exec(html)?.[1];
  if (!prompt) return undefined;
  const action = /<form[^>]*\saction="([^"]+)"/.exec(html)?.[1];
  if (!action) return undefined;
  const decoded = action
    .replace(/&amp;/g, '&')
    .replace(/&#39;/g, "'")
    .replace(/&quot;/g, '"');
  return { prompt, action: new URL(decoded, pageUrl).href };
}

/**
 * Decodes the message that Backstage's popup page posts to its opener
 * (plugin-auth-node sendWebMessageResponse): the page embeds it as
 * `var authResponse = decodeURIComponent('<json>')`. Undefined when `html`
 * is not that page.
 */
function parseWebMessageResponse(html) {
  const m = /authResponse\s*=\s*decodeURIComponent\('([^']*)'\)/.exec(html);
  if (!m) return undefined;
  return JSON.parse(decodeURIComponent(m[1]));
}

function htmlText(html) {
  return html
    .replace(/<style[\s\S]*?<\/style>/gi, '')
    .replace(/<script[\s\S]*?<\/script>/gi, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 2000);
}

/**
 * Signs in through Backstage's Okta provider like the app's popup does:
 *   GET  <backend>/api/auth/okta/start?scope=..&origin=..&flow=popup&env=..
 *   -> 302 to the stand-in's /v1/authorize (Backstage sets its nonce cookie)
 *   -> the stand-in's login form (submitted with login + password) and its
 *      consent form (submitted), when they are shown
 *   -> 303s back to <backend>/api/auth/okta/handler/frame?code=..&state=..
 *   -> the HTML that posts the result to the opener; decoded here.
 *
 * @param {object} options
 * @param {string} options.backendBaseUrl e.g. http://127.0.0.1:7007
 * @param {string} options.login a login of the stand-in's `users`
 * @param {string} [options.password='any'] the stand-in accepts any password
 * @param {string} [options.env='production'] Backstage's auth environment
 *   (auth.environment; the provider's config must have this env key)
 * @param {string} [options.scope] defaults to the frontend's default Okta
 *   scopes, 'openid email profile offline_access'
 * @param {string} [options.origin=backendBaseUrl] the app origin; Backstage
 *   only accepts app.baseUrl's origin (or auth.experimentalExtraAllowedOrigins)
 * @param {string} [options.providerId='okta']
 * @param {CookieJar} [options.cookies] reuse a jar (e.g. an earlier sign-in:
 *   the stand-in then remembers the session and skips its login form)
 * @returns {Promise<{message: {type: 'authorization_response',
 *   response?: object, error?: {name: string, message: string}},
 *   cookies: CookieJar}>}
 *   `message.response` is what the frontend receives: { profile,
 *   providerInfo: { idToken, accessToken, scope, expiresInSeconds },
 *   backstageIdentity?: { token, expiresInSeconds, identity } }.
 *   Throws if the flow never reaches the popup page (e.g. the stand-in
 *   refused the login: unknown user, see `error.code === 'LOGIN_REFUSED'`).
 */
async function oktaSignIn({
  backendBaseUrl,
  login,
  password = 'any',
  env = 'production',
  scope = DEFAULT_SCOPE,
  origin,
  providerId = 'okta',
  cookies = new CookieJar(),
}) {
  const base = backendBaseUrl.replace(/\/+$/, '');
  const appOrigin = new URL(origin ?? base).origin;
  // Same parameters, order and encoding as DefaultAuthConnector.showPopup():
  // buildUrl('/start', { scope, origin, flow: 'popup' }) + env.
  const query = [
    ['scope', scope],
    ['origin', appOrigin],
    ['flow', 'popup'],
    ['env', env],
  ]
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join('&');
  let request = {
    url: `${base}/api/auth/${providerId}/start?${query}`,
    method: 'GET',
  };
  const trail = [];
  let submittedLogin = false;

  for (let hop = 0; hop < 30; hop++) {
    const { res, text } = await jarFetch(cookies, request.url, request);
    trail.push(`${request.method} ${request.url} -> ${res.status}`);
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      // 301/302/303 turn into a GET; 307/308 are not used in this flow.
      request = { url: new URL(location, request.url).href, method: 'GET' };
      continue;
    }

    const message = parseWebMessageResponse(text);
    if (message) return { message, cookies };

    const form = devInteractionForm(text, request.url);
    if (form?.prompt === 'login') {
      if (submittedLogin) {
        const err = new Error(
          `Okta stand-in refused the login "${login}": ${htmlText(text)}`,
        );
        err.code = 'LOGIN_REFUSED';
        throw err;
      }
      submittedLogin = true;
      request = {
        url: form.action,
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ prompt: 'login', login, password }),
      };
      continue;
    }
    if (form?.prompt === 'consent') {
      request = {
        url: form.action,
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ prompt: 'consent' }),
      };
      continue;
    }

    throw new Error(
      `Okta sign-in stopped at ${request.method} ${request.url} (HTTP ${
        res.status
      }): ${htmlText(text)}\n${trail.join('\n')}`,
    );
  }
  throw new Error(`Okta sign-in: too many redirects\n${trail.join('\n')}`);
}

module.exports = {
  startOktaStandIn,
  setIdTokenFault,
  oktaSignIn,
};
