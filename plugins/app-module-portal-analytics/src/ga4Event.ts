/*
 * Backstage analytics events as GA4 events: a pure mapping, no I/O.
 *
 * - `navigate` (the app's route tracker, one per page) → `page_view` with
 *   `page_location` and `page_path`.
 * - `search` (the search plugin) → GA4's recommended `search` with
 *   `search_term`.
 * - anything else (catalog `click`, scaffolder `create`, `discover`, …) → an
 *   event named after the action, with the subject as `event_label`.
 *
 * The analytics context (plugin_id, extension_id, entity_ref, …) and the
 * event's attributes become event parameters in snake_case, within GA4's
 * limits (names of at most 40 characters, values of at most 100, 25
 * parameters). Anything that looks like an e-mail address is replaced by
 * `[email]`: Google's terms forbid personal data, and no user id is sent.
 */
import type { AnalyticsEvent } from '@backstage/frontend-plugin-api';

export type Ga4Params = Record<string, string | number>;

export interface Ga4Event {
  name: string;
  params: Ga4Params;
}

/** GA4 keeps at most 25 custom parameters per event. */
const MAX_PARAMS = 25;
const MAX_NAME = 40;
const MAX_VALUE = 100;
const MAX_LOCATION = 1000;

/** Event names GA4 reserves for its own use. */
const RESERVED_EVENTS = new Set([
  'ad_activeview',
  'ad_click',
  'ad_exposure',
  'ad_impression',
  'ad_query',
  'ad_reward',
  'adunit_exposure',
  'app_background',
  'app_clear_data',
  'app_exception',
  'app_install',
  'app_remove',
  'app_store_refund',
  'app_store_subscription_cancel',
  'app_store_subscription_convert',
  'app_store_subscription_renew',
  'app_update',
  'app_upgrade',
  'dynamic_link_app_open',
  'dynamic_link_app_update',
  'dynamic_link_first_open',
  'error',
  'first_open',
  'first_visit',
  'in_app_purchase',
  'notification_dismiss',
  'notification_foreground',
  'notification_open',
  'notification_receive',
  'os_update',
  'session_start',
  'session_start_with_rollout',
  'user_engagement',
]);
const RESERVED_PREFIXES = ['google_', 'ga_', 'firebase_', '_'];

// Also URL-encoded (`%40`), as in a search page's query string.
const EMAIL =
  /[A-Za-z0-9._%+-]+(?:@|%40)[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;

/** Replaces anything that looks like an e-mail address. */
export function redactEmails(text: string): string {
  return text.replace(EMAIL, '[email]');
}

/** `entityRef`, `not-found` → `entity_ref`, `not_found` (GA4's name rules). */
export function toGa4Name(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9_]+/g, '_')
    .replace(/^[^A-Za-z]+/, '')
    .replace(/_+$/, '')
    .toLowerCase()
    .slice(0, MAX_NAME);
}

function eventName(action: string): string {
  const name = toGa4Name(action) || 'event';
  const reserved =
    RESERVED_EVENTS.has(name) ||
    RESERVED_PREFIXES.some(prefix => name.startsWith(prefix));
  return reserved ? `backstage_${name}`.slice(0, MAX_NAME) : name;
}

function paramValue(
  value: string | number | boolean | undefined,
  max = MAX_VALUE,
): string | number | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value === 'number')
    return Number.isFinite(value) ? value : undefined;
  return redactEmails(String(value)).slice(0, max);
}

/**
 * The GA4 event for a Backstage analytics event. `origin` is the portal's
 * origin (`window.location.origin`), for page views' `page_location`.
 */
export function toGa4Event(event: AnalyticsEvent, origin: string): Ga4Event {
  const { action, subject, value, attributes = {}, context } = event;
  const params: Ga4Params = {};
  const add = (key: string, raw: string | number | boolean | undefined) => {
    const name = toGa4Name(key);
    if (
      !name ||
      name in params ||
      RESERVED_PREFIXES.some(prefix => name.startsWith(prefix)) ||
      Object.keys(params).length >= MAX_PARAMS
    ) {
      return;
    }
    const v = paramValue(raw);
    if (v !== undefined) params[name] = v;
  };

  let name: string;
  if (action === 'navigate') {
    name = 'page_view';
    const path = redactEmails(subject);
    params.page_location = `${origin}${path}`.slice(0, MAX_LOCATION);
    params.page_path = path.slice(0, MAX_LOCATION);
  } else if (action === 'search') {
    name = 'search';
    add('search_term', subject);
  } else {
    name = eventName(action);
    add('event_label', subject);
  }
  if (typeof value === 'number' && Number.isFinite(value)) {
    params.value = value;
  }
  // Where it happened first (pluginId, extensionId, entityRef, …), then the
  // event's own attributes (route parameters of a page view, the `to` of a
  // click, the template of a `create`).
  for (const [key, v] of Object.entries(context)) add(key, v);
  for (const [key, v] of Object.entries(attributes)) add(key, v);
  return { name, params };
}

/** GA4 measurement ids look like `G-XXXXXXXXXX`. */
export function isMeasurementId(id: string | undefined): id is string {
  return typeof id === 'string' && /^G-[A-Z0-9]{4,20}$/.test(id);
}
