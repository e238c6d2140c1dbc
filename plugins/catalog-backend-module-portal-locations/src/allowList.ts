import { Config } from '@backstage/config';

/** One allowed URL prefix, parsed: scheme, host (with a non-default port) and path. */
export interface AllowedUrlPrefix {
  /** As configured or derived, for messages. */
  text: string;
  protocol: string;
  host: string;
  /** Ends with `/`; compared case-insensitively (GitHub owners are). */
  path: string;
}

export type TargetCheck = { ok: true } | { ok: false; reason: string };

export const ALLOWED_URLS_KEY = 'portal.catalog.locations.allowedUrls';

/**
 * Parses a configured prefix. It must be an absolute http(s) URL without
 * credentials, query or fragment; a path without a trailing `/` gets one,
 * so `https://github.com/acme` never allows `https://github.com/acme-evil/`.
 */
export function parseAllowedUrlPrefix(text: string): AllowedUrlPrefix {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`${ALLOWED_URLS_KEY}: '${text}' is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new Error(`${ALLOWED_URLS_KEY}: '${text}' must be an http(s) URL`);
  }
  if (url.username || url.password || url.search || url.hash) {
    throw new Error(
      `${ALLOWED_URLS_KEY}: '${text}' must not carry credentials, a query or a fragment`,
    );
  }
  const path = url.pathname.endsWith('/') ? url.pathname : `${url.pathname}/`;
  return {
    text: `${url.protocol}//${url.host}${path}`,
    protocol: url.protocol,
    host: url.host,
    path: path.toLowerCase(),
  };
}

/** Characters no repository URL needs and URL parsers treat in different ways. */
// eslint-disable-next-line no-control-regex
const SUSPICIOUS_RAW = /[\u0000-\u0020\u007f\\]/;
/** Encoded `/`, `\` and `.`: readers that decode them could leave the prefix. */
const SUSPICIOUS_ENCODED = /%(2f|5c|2e)/i;

/**
 * Whether a location users register (`POST /locations`, `/analyze-location`)
 * is allowed: type `url`, and after parsing the URL (which resolves `.` and
 * `..`) the scheme, host and port equal one prefix's and the path starts
 * with its path; no user name or password in the URL.
 */
export function checkLocationTarget(
  type: unknown,
  target: unknown,
  allowed: AllowedUrlPrefix[],
): TargetCheck {
  if (type !== 'url') {
    return {
      ok: false,
      reason: `only locations of type 'url' may be registered, not ${JSON.stringify(
        type,
      )}`,
    };
  }
  if (typeof target !== 'string' || !target) {
    return { ok: false, reason: 'the target must be a URL' };
  }
  if (SUSPICIOUS_RAW.test(target)) {
    return {
      ok: false,
      reason: 'the target must not contain spaces, control characters or `\\`',
    };
  }
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return { ok: false, reason: 'the target is not an absolute URL' };
  }
  if (url.username || url.password) {
    return {
      ok: false,
      reason: 'the target must not contain a user name or password',
    };
  }
  if (SUSPICIOUS_ENCODED.test(url.pathname)) {
    return {
      ok: false,
      reason: 'the target path must not contain encoded `/`, `\\` or `.`',
    };
  }
  const path = url.pathname.toLowerCase();
  const match = allowed.some(
    prefix =>
      url.protocol === prefix.protocol &&
      url.host === prefix.host &&
      path.startsWith(prefix.path) &&
      path.length > prefix.path.length,
  );
  if (!match) {
    return {
      ok: false,
      reason: allowed.length
        ? `only URLs under ${allowed
            .map(p => p.text)
            .join(', ')} may be registered`
        : `registering locations is off: no URL is allowed (${ALLOWED_URLS_KEY})`,
    };
  }
  return { ok: true };
}

/** `catalog.providers.<name>`: one provider config, a list of them, or a map of id -> config. */
function providerConfigs(config: Config, name: string, marker: string) {
  const key = `catalog.providers.${name}`;
  if (!config.has(key)) return [];
  try {
    return config.getOptionalConfigArray(key) ?? [];
  } catch {
    // not a list
  }
  const root = config.getConfig(key);
  if (root.has(marker)) return [root];
  return root.keys().map(id => root.getConfig(id));
}

function optionalStrings(config: Config, key: string): string[] {
  try {
    return (config.getOptionalStringArray(key) ?? []).filter(Boolean);
  } catch {
    const one = config.getOptionalString(key);
    return one ? [one] : [];
  }
}

/**
 * The organisations the portal reads from GitHub, as URL prefixes: repository
 * discovery (`catalog.providers.github[.<id>].organization`, on `host`) and
 * the org provider (`catalog.providers.githubOrg[].orgs`, on `githubUrl`).
 */
export function organisationPrefixes(config: Config): string[] {
  const prefixes = new Set<string>();
  for (const c of providerConfigs(config, 'github', 'organization')) {
    const org = c.getOptionalString('organization')?.trim();
    const host = c.getOptionalString('host')?.trim() || 'github.com';
    if (org) prefixes.add(`https://${host}/${org}/`);
  }
  for (const c of providerConfigs(config, 'githubOrg', 'orgs')) {
    const base = (
      c.getOptionalString('githubUrl')?.trim() || 'https://github.com'
    ).replace(/\/+$/, '');
    for (const org of optionalStrings(c, 'orgs')) {
      prefixes.add(`${base}/${org.trim()}/`);
    }
  }
  return [...prefixes];
}

/** The GitHub hosts the portal has an integration for (default github.com). */
export function githubIntegrationHosts(config: Config): string[] {
  const hosts = (config.getOptionalConfigArray('integrations.github') ?? [])
    .map(c => c.getOptionalString('host')?.trim())
    .filter((h): h is string => Boolean(h));
  return hosts.length ? [...new Set(hosts)] : ['github.com'];
}

/**
 * The allow-list in effect: `portal.catalog.locations.allowedUrls` when set
 * (an empty list turns registration off); otherwise the organisation's
 * GitHub (`https://github.com/<org>/` for each organisation the GitHub
 * providers read); without any organisation (local development, the
 * scaffolder's end-to-end test), every repository on the GitHub hosts of
 * `integrations.github` (`https://github.com/`).
 */
export function readAllowedUrlPrefixes(config: Config): {
  prefixes: AllowedUrlPrefix[];
  source: 'config' | 'organisation' | 'integrations';
} {
  const configured = config.getOptionalStringArray(ALLOWED_URLS_KEY);
  if (configured) {
    return {
      prefixes: configured.map(parseAllowedUrlPrefix),
      source: 'config',
    };
  }
  const orgs = organisationPrefixes(config);
  if (orgs.length) {
    return {
      prefixes: orgs.map(parseAllowedUrlPrefix),
      source: 'organisation',
    };
  }
  return {
    prefixes: githubIntegrationHosts(config).map(host =>
      parseAllowedUrlPrefix(`https://${host}/`),
    ),
    source: 'integrations',
  };
}
