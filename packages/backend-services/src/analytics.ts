/*
 * Google Analytics 4 and the Content-Security-Policy.
 *
 * The frontend loads gtag.js only when `app.analytics.ga4.measurementId` is
 * set (production: GA4_MEASUREMENT_ID; unset, the key is absent). The CSP
 * that the backend sends with the app (`backend.csp`) allows Google's hosts
 * only then: they are added here, at start-up, to script-src, connect-src
 * and img-src as Google's CSP guidance for GA4 lists them.
 */
import { JsonObject, JsonValue } from '@backstage/types';

/** Google's hosts per directive (developers.google.com/tag-platform/security/guides/csp). */
export const GA4_CSP_SOURCES: Readonly<Record<string, readonly string[]>> = {
  'script-src': ['https://*.googletagmanager.com'],
  'connect-src': [
    'https://*.google-analytics.com',
    'https://*.analytics.google.com',
    'https://*.googletagmanager.com',
  ],
  'img-src': [
    'https://*.google-analytics.com',
    'https://*.googletagmanager.com',
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
  'img-src': ["'self'", 'data:'],
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

/**
 * With a GA4 measurement id, `backend.csp` allows Google Analytics (the
 * directives above, each extended from what it was); without one, the data
 * is returned unchanged. A directive turned off (`false`) stays off.
 */
export function applyAnalyticsCsp(data: JsonObject): {
  data: JsonObject;
  ga4: boolean;
} {
  if (!ga4MeasurementId(data)) {
    return { data, ga4: false };
  }
  const backend = (data.backend ?? {}) as JsonObject;
  const csp: Record<string, JsonValue> = {};
  // One spelling per directive (Backstage accepts camelCase too).
  for (const [key, value] of Object.entries(
    (backend.csp ?? {}) as JsonObject,
  )) {
    if (value !== undefined) csp[kebab(key)] = value;
  }
  for (const [directive, sources] of Object.entries(GA4_CSP_SOURCES)) {
    const current = csp[directive];
    if (current === false) continue;
    const base = Array.isArray(current)
      ? (current as string[])
      : [...BACKSTAGE_DEFAULTS[directive]];
    csp[directive] = [...base, ...sources.filter(s => !base.includes(s))];
  }
  return {
    data: { ...data, backend: { ...backend, csp } },
    ga4: true,
  };
}
