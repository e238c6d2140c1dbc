/*
 * Google Analytics 4 in Chromium. With GA4_MEASUREMENT_ID set (a second
 * production server on the shared database) the app loads gtag.js, the CSP
 * allows Google's hosts, and browsing the catalog and searching send page
 * views and Backstage's events. Without it (the shared server) nothing goes
 * to Google and the CSP does not name it.
 *
 * There is no internet here: requests to Google are answered by page.route.
 * gtag.js is a stand-in that sends each `event` command on the data layer
 * to GA4's collection endpoint (/g/collect, en=<event>, ep.<param>=<value>),
 * so a hit only arrives when the CSP lets both the script and the
 * collection request through.
 */
import { expect, Page, Response, test } from '@playwright/test';
import { base } from './guest';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const portal = require('../../../scripts/lib/portal');

const MEASUREMENT_ID = 'G-TEST123';
const GOOGLE =
  /googletagmanager\.com|google-analytics\.com|analytics\.google\.com|doubleclick\.net/;

const FAKE_GTAG = `(function () {
  var dl = (window.dataLayer = window.dataLayer || []);
  var tid = new URL(document.currentScript.src).searchParams.get('id');
  function send(args) {
    if (!args || args[0] !== 'event') return;
    var q = new URLSearchParams({ v: '2', tid: tid, en: args[1] });
    var params = args[2] || {};
    Object.keys(params).forEach(function (k) { q.set('ep.' + k, String(params[k])); });
    fetch('https://region1.google-analytics.com/g/collect?' + q, {
      method: 'POST', mode: 'no-cors', keepalive: true,
    });
  }
  for (var i = 0; i < dl.length; i++) send(dl[i]);
  var push = dl.push;
  dl.push = function () {
    for (var j = 0; j < arguments.length; j++) send(arguments[j]);
    return push.apply(dl, arguments);
  };
})();`;

type Hit = { en: string; tid: string; params: Record<string, string> };

/** Answers Google's hosts: the stand-in gtag.js, and 204 for hits (recorded). */
async function fakeGoogle(page: Page) {
  const scripts: string[] = [];
  const hits: Hit[] = [];
  await page.route(GOOGLE, async route => {
    const url = new URL(route.request().url());
    if (url.pathname === '/gtag/js') {
      scripts.push(url.toString());
      await route.fulfill({
        status: 200,
        contentType: 'text/javascript',
        body: FAKE_GTAG,
      });
      return;
    }
    if (url.pathname === '/g/collect') {
      const params: Record<string, string> = {};
      for (const [k, v] of url.searchParams) {
        if (k.startsWith('ep.')) params[k.slice(3)] = v;
      }
      hits.push({
        en: url.searchParams.get('en') ?? '',
        tid: url.searchParams.get('tid') ?? '',
        params,
      });
    }
    await route.fulfill({
      status: 204,
      headers: { 'access-control-allow-origin': '*' },
    });
  });
  return { scripts, hits };
}

function cspDirectives(response: Response | null) {
  const header = response?.headers()['content-security-policy'] ?? '';
  const directives: Record<string, string[]> = {};
  for (const part of header.split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (name) directives[name] = sources;
  }
  return { header, directives };
}

async function signInAsGuest(page: Page, origin: string) {
  const response = await page.goto(`${origin}/`);
  await page.getByRole('button', { name: 'Enter' }).click();
  await expect(page.getByRole('link', { name: 'Settings' })).toBeVisible();
  return response;
}

/** Catalog → a component (by clicking its link) → a search. */
async function browse(page: Page, origin: string) {
  await page.getByTestId('user-picker-all').click();
  const table = page.getByRole('table');
  await table.getByRole('link', { name: 'Payments Service' }).click();
  await expect(page).toHaveURL(/\/component\/payments-service/);
  await expect(
    page.getByRole('heading', { name: 'Payments Service' }).first(),
  ).toBeVisible();
  await expect(async () => {
    await page.goto(`${origin}/search?query=ledger`);
    await expect(page.getByText('Ledger Library').first()).toBeVisible({
      timeout: 3_000,
    });
  }).toPass({ timeout: 60_000 });
}

test.describe('with GA4_MEASUREMENT_ID', () => {
  let server: any;

  test.beforeAll(async () => {
    test.setTimeout(180_000);
    const port = await portal.freePort();
    // Same catalog locations and providers as the shared server (demo layer,
    // API docs bucket), so sharing its database is safe.
    server = portal.startServer({
      tree: process.env.PORTAL_TREE,
      env: {
        ...portal.contractEnv({
          pg: portal.sharedPostgres(),
          port,
          token: process.env.PORTAL_API_TOKEN,
        }),
        ...portal.apiDocsEnv(),
        GA4_MEASUREMENT_ID: MEASUREMENT_ID,
      },
      logFile: `${portal.workDir}/e2e-analytics.log`,
    });
    await server.waitReady();
  });

  test.afterAll(async () => {
    await server?.stop();
  });

  test('loads gtag.js, the CSP allows it, page views and events reach GA4', async ({
    page,
  }) => {
    test.setTimeout(120_000);
    const google = await fakeGoogle(page);

    const response = await signInAsGuest(page, server.base);
    const { directives } = cspDirectives(response);
    // GA4's exact hosts, no wildcards (docs/configuration.md).
    expect(directives['script-src']).toContain(
      'https://www.googletagmanager.com',
    );
    for (const host of [
      'https://www.google-analytics.com',
      'https://region1.google-analytics.com',
    ]) {
      expect(directives['connect-src']).toContain(host);
    }
    expect(JSON.stringify(directives)).not.toContain('*.');
    expect(directives['connect-src']).not.toContain('https:');

    await expect
      .poll(() => google.scripts)
      .toContain(
        `https://www.googletagmanager.com/gtag/js?id=${MEASUREMENT_ID}`,
      );

    await browse(page, server.base);

    const hit = (en: string, params: Record<string, string>) =>
      expect
        .poll(() => google.hits, { message: `a ${en} hit` })
        .toContainEqual({
          en,
          tid: MEASUREMENT_ID,
          params: expect.objectContaining(params),
        });
    // The catalog page, and the entity page reached by a click in the table.
    await hit('page_view', {
      page_path: '/',
      page_location: `${server.base}/`,
    });
    await hit('click', {
      event_label: '/catalog/default/component/payments-service',
      plugin_id: 'catalog',
    });
    await hit('page_view', {
      page_path: '/catalog/default/component/payments-service',
      page_location: `${server.base}/catalog/default/component/payments-service`,
      plugin_id: 'catalog',
    });
    // The search: a page view and GA4's search event with the term.
    await hit('page_view', { page_path: '/search?query=ledger' });
    await hit('search', { search_term: 'ledger', plugin_id: 'search' });

    // One page view per page: not again for the catalog page behind the
    // sign-in page, and gtag's own is off.
    // (The search page is loaded anew until the index has the component.)
    const pageViews = google.hits
      .filter(h => h.en === 'page_view')
      .map(h => h.params.page_path);
    expect(pageViews.slice(0, 2)).toEqual([
      '/',
      '/catalog/default/component/payments-service',
    ]);
    expect(new Set(pageViews.slice(2))).toEqual(
      new Set(['/search?query=ledger']),
    );
    const config = await page.evaluate(() =>
      ((window as any).dataLayer as IArguments[])
        .map(a => Array.from(a))
        .filter(a => a[0] === 'config'),
    );
    expect(config).toEqual([
      ['config', MEASUREMENT_ID, { send_page_view: false }],
    ]);
    // No e-mail addresses.
    expect(JSON.stringify(google.hits)).not.toMatch(/[^\s"]+@[^\s"]+\.\w+/);
  });
});

test('without GA4_MEASUREMENT_ID nothing is loaded from Google and the CSP does not name it', async ({
  page,
}) => {
  test.setTimeout(120_000);
  const requested: string[] = [];
  page.on('request', request => {
    if (GOOGLE.test(request.url())) requested.push(request.url());
  });
  const google = await fakeGoogle(page);

  const response = await signInAsGuest(page, base());
  const { header } = cspDirectives(response);
  expect(header).toContain('script-src');
  expect(header).not.toMatch(/google/);

  await browse(page, base());
  expect(requested).toEqual([]);
  expect(google.scripts).toEqual([]);
  expect(google.hits).toEqual([]);
  expect(
    await page.evaluate(() => ({
      dataLayer: typeof (window as any).dataLayer,
      gtag: typeof (window as any).gtag,
      scripts: Array.from(document.scripts)
        .map(s => s.src)
        .filter(src => /google/.test(src)),
    })),
  ).toEqual({ dataLayer: 'undefined', gtag: 'undefined', scripts: [] });
});
