import { Config } from '@backstage/config';
import { InputError, NotAllowedError } from '@backstage/errors';
import { ScmIntegrationRegistry } from '@backstage/integration';
import { createPermission } from '@backstage/plugin-permission-common';

/**
 * Publishing a repository that everyone on the internet can read
 * (`visibility: public`); granted to admins by the portal's policy.
 */
export const publicRepositoryPermission = createPermission({
  name: 'portal.scaffolder.repository.public',
  attributes: { action: 'create' },
});

/**
 * Opening a pull request in a repository whatever the user's own access to
 * it; granted to admins by the portal's policy. Others may open pull
 * requests only where their own GitHub account may push.
 */
export const anyRepositoryPullRequestPermission = createPermission({
  name: 'portal.scaffolder.pull-request.any-repository',
  attributes: { action: 'update' },
});

/** Where templates may fetch from and publish to (portal.scaffolder). */
export interface ScaffolderGuards {
  /** GitHub owners (organisations) templates may create repositories in or open pull requests on; lower case. */
  allowedOwners: string[];
  /** URL prefixes fetch actions may read besides the template's own folder. */
  allowedFetchUrls: string[];
}

/**
 * Reads `portal.scaffolder.github.allowedOwners` (default: the organisation
 * of repository discovery, GITHUB_ORG) and `portal.scaffolder.allowedFetchUrls`
 * (default: none).
 */
export function readScaffolderGuards(config: Config): ScaffolderGuards {
  const owners = config.getOptionalStringArray(
    'portal.scaffolder.github.allowedOwners',
  ) ?? [
    config.getOptionalString(
      'catalog.providers.github.repositories.organization',
    ) ?? '',
  ];
  const allowedFetchUrls =
    config.getOptionalStringArray('portal.scaffolder.allowedFetchUrls') ?? [];
  for (const prefix of allowedFetchUrls) {
    let url: URL;
    try {
      url = new URL(prefix);
    } catch {
      throw new Error(
        `portal.scaffolder.allowedFetchUrls: '${prefix}' is not an absolute URL`,
      );
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new Error(
        `portal.scaffolder.allowedFetchUrls: '${prefix}' must be an http(s) URL`,
      );
    }
  }
  return {
    allowedOwners: owners
      .map(o => o.trim().toLocaleLowerCase('en-US'))
      .filter(Boolean),
    allowedFetchUrls,
  };
}

/** Refuses an owner (organisation) that is not on the allow-list. */
export function checkOwner(owner: string, guards: ScaffolderGuards) {
  if (!guards.allowedOwners.includes(owner.toLocaleLowerCase('en-US'))) {
    throw new NotAllowedError(
      `Templates may only create repositories in or open pull requests on ${
        guards.allowedOwners.length
          ? guards.allowedOwners.join(', ')
          : 'no organisation (portal.scaffolder.github.allowedOwners is empty)'
      }; '${owner}' is not allowed`,
    );
  }
}

/**
 * A URL's path for prefix comparison: GitHub's `/blob/` and `/tree/` views
 * of the same ref are the same place.
 */
function comparablePath(url: URL): string {
  const segments = url.pathname.split('/');
  if (
    url.hostname.toLocaleLowerCase('en-US') === 'github.com' &&
    (segments[3] === 'blob' || segments[3] === 'tree')
  ) {
    segments[3] = '~';
  }
  return segments.join('/');
}

/** Whether `target` is `prefix` or lies under it (same origin, path prefix). */
export function isUnder(target: string, prefix: string): boolean {
  let t: URL;
  let p: URL;
  try {
    t = new URL(target);
    p = new URL(prefix);
  } catch {
    return false;
  }
  if (
    (t.protocol !== 'https:' && t.protocol !== 'http:') ||
    t.protocol !== p.protocol ||
    t.host.toLocaleLowerCase('en-US') !== p.host.toLocaleLowerCase('en-US') ||
    t.username ||
    t.password
  ) {
    return false;
  }
  const base = comparablePath(p);
  const dir = base.endsWith('/') ? base : `${base}/`;
  const path = comparablePath(t);
  return path === base || path === dir.slice(0, -1) || path.startsWith(dir);
}

/** The folder of a template's own location (its base URL's directory). */
function folderOf(baseUrl: string): string {
  const url = new URL(baseUrl);
  url.search = '';
  url.hash = '';
  url.pathname = url.pathname.replace(/[^/]*$/, '');
  return url.toString();
}

/**
 * Why a fetch action may not read `url` for a template at `baseUrl`, or
 * undefined when it may: a relative URL inside a template on disk (upstream
 * keeps it inside the folder), or any URL that resolves under the template's
 * own folder or an allowed prefix. Everything else (another repository of
 * the organisation, a private one included, a metadata server, a file) is
 * refused: fetch actions read with the portal's credentials, not the user's.
 */
export function fetchUrlProblem(
  url: string,
  baseUrl: string | undefined,
  integrations: ScmIntegrationRegistry,
  allowedFetchUrls: string[],
): string | undefined {
  if (typeof url !== 'string' || !url) return 'no url given';
  const absolute = URL.canParse(url);
  if (!absolute && baseUrl?.startsWith('file://')) {
    return undefined;
  }
  let target = url;
  if (!absolute) {
    if (!baseUrl)
      return `'${url}' is relative but the template has no location`;
    try {
      target = integrations.resolveUrl({ url, base: baseUrl });
    } catch (error) {
      return `'${url}' cannot be resolved against the template's location`;
    }
  }
  const within =
    (baseUrl &&
      /^https?:/.test(baseUrl) &&
      isUnder(target, folderOf(baseUrl))) ||
    allowedFetchUrls.some(prefix => isUnder(target, prefix));
  return within
    ? undefined
    : `'${url}' is outside the template's own folder and portal.scaffolder.allowedFetchUrls`;
}

/** Throws the refusal of fetchUrlProblem as an InputError. */
export function checkFetchUrl(
  url: string,
  baseUrl: string | undefined,
  integrations: ScmIntegrationRegistry,
  allowedFetchUrls: string[],
) {
  const problem = fetchUrlProblem(url, baseUrl, integrations, allowedFetchUrls);
  if (problem) {
    throw new NotAllowedError(`Templates may not fetch ${problem}`);
  }
}

/** Stops an action that was cancelled before its next outside call. */
export function throwIfCancelled(signal: AbortSignal | undefined) {
  if (signal?.aborted) {
    throw new InputError('The task was cancelled; nothing more was done');
  }
}
