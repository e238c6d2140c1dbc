/*
 * The Content-Security-Policy the backend sends with the app (`backend.csp`),
 * completed at start-up (loadPortalConfig calls applyAnalyticsCsp):
 *
 * - connect-src gets the sources of `portal.csp.connectSrc` (what the
 *   deployment lets the browser fetch from besides the portal itself) and
 *   the WebSocket origin of `backend.baseUrl` (Backstage's signals).
 * - With a GA4 measurement id (`app.analytics.ga4.measurementId`, production:
 *   GA4_MEASUREMENT_ID; unset, the key is absent) the exact hosts gtag.js
 *   needs: the script from www.googletagmanager.com, hits to GA4's
 *   collection hosts. Without one, Google is not named.
 */
import { JsonObject, JsonValue } from '@backstage/types';
import { isObject } from './jsonValues';

/**
 * Google's hosts per directive for GA4 through gtag.js. Exact hosts instead
 * of the wildcards of Google's CSP guidance
 * (developers.google.com/tag-platform/security/guides/csp): gtag.js is
 * loaded from www.googletagmanager.com (packages/app's analytics module), and
 * a GA4 web stream sends its hits (fetch or sendBeacon, so connect-src) to
 * www.google-analytics.com or, with data collection in the EU region,
 * region1.google-analytics.com. Features that send elsewhere (Google
 * Signals: *.analytics.google.com and doubleclick.net; ads) are not allowed:
 * keep them off in the GA4 property (docs/configuration.md).
 */
export const GA4_CSP_SOURCES: Readonly<Record<string, readonly string[]>> = {
  'script-src': ['https://www.googletagmanager.com'],
  'connect-src': [
    'https://www.google-analytics.com',
    'https://region1.google-analytics.com',
  ],
};

/**
 * What Backstage sends for a directive that `backend.csp` does not set
 * (helmet's defaults with Backstage's script-src; connect-src falls back to
 * default-src). Extending a directive replaces it, so it starts from these.
 */
const BACKSTAGE_DEFAULTS: Readonly<Record<string, readonly string[]>> = {
  'script-src': ["'self'", "'unsafe-eval'"],
  'connect-src': ["'self'"],
};

const kebab = (key: string) =>
  key.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();

/** The measurement id the frontend will use, if any. */
export function ga4MeasurementId(data: JsonObject): string | undefined {
  const app = data.app as JsonObject | undefined;
  const analytics = app?.analytics as JsonObject | undefined;
  const ga4 = analytics?.ga4 as JsonObject | undefined;
  const id = ga4?.measurementId;
  return typeof id === 'string' && id.trim() !== '' ? id : undefined;
}

/** `portal.csp.connectSrc`: extra connect-src sources (strings only). */
export function configuredConnectSources(data: JsonObject): string[] {
  const portal = isObject(data.portal) ? data.portal : {};
  const csp = isObject(portal.csp) ? portal.csp : {};
  const list = csp.connectSrc;
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list) || list.some(s => typeof s !== 'string')) {
    throw new Error('portal.csp.connectSrc must be a list of CSP sources');
  }
  return (list as string[]).map(s => s.trim()).filter(s => s !== '');
}

/**
 * The WebSocket origin of `backend.baseUrl` (wss: for https:), which the
 * app's signals client connects to. `'self'` covers it in current browsers
 * (CSP Level 3), older Safari did not match ws(s): against `'self'`.
 */
export function webSocketOrigin(data: JsonObject): string | undefined {
  const backend = isObject(data.backend) ? data.backend : {};
  const baseUrl = backend.baseUrl;
  if (typeof baseUrl !== 'string') return undefined;
  try {
    const url = new URL(baseUrl);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      return undefined;
    }
    return `${url.protocol === 'https:' ? 'wss:' : 'ws:'}//${url.host}`;
  } catch {
    return undefined;
  }
}

/**
 * Completes `backend.csp` (see the top of this file). Each directive that is
 * extended starts from what it was (configured, or Backstage's default); a
 * directive turned off (`false`) stays off. `ga4` tells whether Google
 * Analytics is allowed.
 */
export function applyAnalyticsCsp(data: JsonObject): {
  data: JsonObject;
  ga4: boolean;
} {
  const additions: Record<string, string[]> = {
    'connect-src': [...configuredConnectSources(data)],
  };
  const ws = webSocketOrigin(data);
  if (ws) additions['connect-src'].push(ws);
  const ga4 = ga4MeasurementId(data) !== undefined;
  if (ga4) {
    for (const [directive, sources] of Object.entries(GA4_CSP_SOURCES)) {
      additions[directive] = [...(additions[directive] ?? []), ...sources];
    }
  }

  const backend = isObject(data.backend) ? data.backend : {};
  const csp: Record<string, JsonValue> = {};
  // One spelling per directive (Backstage accepts camelCase too).
  for (const [key, value] of Object.entries(
    isObject(backend.csp) ? backend.csp : {},
  )) {
    if (value !== undefined) csp[kebab(key)] = value;
  }
  for (const [directive, sources] of Object.entries(additions)) {
    const current = csp[directive];
    if (current === false || sources.length === 0) continue;
    const base = Array.isArray(current)
      ? (current as string[])
      : [...BACKSTAGE_DEFAULTS[directive]];
    const added = sources.filter((s, i) => sources.indexOf(s) === i);
    csp[directive] = [...base, ...added.filter(s => !base.includes(s))];
  }
  return {
    data: { ...data, backend: { ...backend, csp } },
    ga4,
  };
}
