import { JsonObject, JsonValue } from '@backstage/types';
import { isObject } from './jsonValues';

/** The contract variable behind each GitHub App setting (for messages). */
const APP_FIELDS: Record<string, string> = {
  appId: 'GITHUB_APP_ID',
  privateKey: 'GITHUB_APP_PRIVATE_KEY',
  clientId: 'GITHUB_APP_CLIENT_ID',
  clientSecret: 'GITHUB_APP_CLIENT_SECRET',
};

/**
 * GitHub is optional: the base configuration declares the integration, the
 * org provider and repository discovery from GITHUB_* variables, and this
 * turns what is not usable off instead of failing start-up:
 *
 * - a GitHub App entry none of whose settings are set is dropped; one with
 *   some but not all of appId/privateKey/clientId/clientSecret is an error
 *   naming what is missing; a private key with literal `\n` gets newlines;
 * - catalog providers (`catalog.providers.github`, `.githubOrg`) without an
 *   organisation, or whose host has neither a token nor an App, are dropped.
 *
 * Returns the data and one line per thing turned off (for the log).
 */
export function applyGithubAvailability(data: JsonObject): {
  data: JsonObject;
  off: string[];
} {
  const off: string[] = [];
  const integrations = isObject(data.integrations) ? data.integrations : {};
  const credentialed = new Set<string>();
  let changed = false;

  const githubEntries = Array.isArray(integrations.github)
    ? integrations.github.map((entry, i) => {
        if (!isObject(entry)) return entry;
        const host = String(entry.host ?? 'github.com');
        let next: JsonObject = entry;
        if (Array.isArray(entry.apps)) {
          const apps = entry.apps.filter(isObject).flatMap((app, j) => {
            const present = Object.keys(APP_FIELDS).filter(
              k => app[k] !== undefined && app[k] !== null && app[k] !== '',
            );
            if (present.length === 0) return [];
            const missing = Object.keys(APP_FIELDS).filter(
              k => !present.includes(k),
            );
            if (missing.length > 0) {
              throw new Error(
                `The GitHub App in integrations.github[${i}].apps[${j}] (host ${host}) is incomplete: ${missing
                  .map(k => `${k} (${APP_FIELDS[k]})`)
                  .join(', ')} not set. Set all of ${Object.values(
                  APP_FIELDS,
                ).join(
                  ', ',
                )}, or none to use GITHUB_TOKEN. See docs/github.md.`,
              );
            }
            const key = String(app.privateKey);
            return [
              key.includes('\\n') && !key.includes('\n')
                ? { ...app, privateKey: key.replace(/\\n/g, '\n') }
                : app,
            ];
          });
          changed = true;
          next = { ...entry };
          if (apps.length > 0) next.apps = apps;
          else delete next.apps;
        }
        if (next.token || Array.isArray(next.apps)) credentialed.add(host);
        return next;
      })
    : undefined;

  const catalog = isObject(data.catalog) ? data.catalog : undefined;
  const providers =
    catalog && isObject(catalog.providers) ? catalog.providers : undefined;
  let nextProviders: JsonObject | undefined = providers;

  const usable = (organisation: boolean, host: string, what: string) => {
    if (!organisation) {
      off.push(`${what}: no organisation (GITHUB_ORG unset)`);
      return false;
    }
    if (!credentialed.has(host)) {
      off.push(
        `${what}: no credentials for ${host} (GITHUB_TOKEN, or a GitHub App via GITHUB_APP_*)`,
      );
      return false;
    }
    return true;
  };

  if (providers && isObject(providers.github)) {
    const github = providers.github;
    const single = 'organization' in github || 'app' in github;
    const entries: [string, JsonValue | undefined][] = single
      ? [['default', github]]
      : Object.entries(github);
    const kept = entries.filter(([id, p]) => {
      if (!isObject(p)) return true;
      return usable(
        Boolean(p.organization) || p.app !== undefined,
        String(p.host ?? 'github.com'),
        `GitHub repository discovery '${id}' is off`,
      );
    });
    if (kept.length !== entries.length) {
      nextProviders = { ...nextProviders };
      if (kept.length === 0) delete nextProviders.github;
      else
        nextProviders.github = single ? kept[0][1] : Object.fromEntries(kept);
    }
  }

  if (providers && providers.githubOrg !== undefined) {
    const list = Array.isArray(providers.githubOrg)
      ? providers.githubOrg
      : [providers.githubOrg];
    const kept = list.filter(isObject).flatMap(p => {
      const orgs = Array.isArray(p.orgs)
        ? p.orgs.filter(o => typeof o === 'string' && o.trim() !== '')
        : undefined;
      let host = 'github.com';
      try {
        host = new URL(String(p.githubUrl)).host;
      } catch {
        // upstream reports the bad URL
      }
      // Without `orgs` upstream reads every installation of the App.
      const hasOrganisation = orgs ? orgs.length > 0 : true;
      if (
        !usable(
          hasOrganisation,
          host,
          `GitHub org data '${String(p.id ?? '')}' is off`,
        )
      ) {
        return [];
      }
      return [
        orgs && orgs.length !== (p.orgs as JsonValue[]).length
          ? { ...p, orgs }
          : p,
      ];
    });
    const same =
      kept.length === list.length && kept.every((p, i) => p === list[i]);
    if (!same) {
      nextProviders = { ...nextProviders };
      if (kept.length === 0) delete nextProviders.githubOrg;
      else
        nextProviders.githubOrg = Array.isArray(providers.githubOrg)
          ? kept
          : kept[0];
    }
  }

  if (!changed && nextProviders === providers) {
    return { data, off };
  }
  const result: JsonObject = { ...data };
  if (githubEntries) {
    result.integrations = { ...integrations, github: githubEntries };
  }
  if (catalog && nextProviders !== providers) {
    result.catalog = { ...catalog, providers: nextProviders ?? {} };
  }
  return { data: result, off };
}
