import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { Config } from '@backstage/config';

/** How Okta group names become Backstage group references. */
export interface OktaGroupMapping {
  /** Only groups starting with this prefix count ('' = all). */
  prefix: string;
  /** Remove the prefix from the name. */
  stripPrefix: boolean;
  /** Explicit Okta name -> group reference, applied before the prefix filter. */
  map: Map<string, string>;
}

const MAX_NAME_LENGTH = 63;

/** Reads `portal.okta.groups`; every key is optional. */
export function readOktaGroupMapping(config: Config): OktaGroupMapping {
  const groups = config.getOptionalConfig('portal.okta.groups');
  const map = new Map<string, string>();
  for (const entry of groups?.getOptionalConfigArray('map') ?? []) {
    const okta = entry.getString('okta');
    const group = entry.getString('group');
    map.set(okta, toGroupRef(group, `portal.okta.groups.map entry '${okta}'`));
  }
  return {
    prefix: groups?.getOptionalString('prefix') ?? '',
    stripPrefix: groups?.getOptionalBoolean('stripPrefix') ?? true,
    map,
  };
}

/**
 * An entity name from an Okta group name: lower case, runs of characters that
 * entity names do not allow become '-', at most 63 characters.
 */
export function normalizeGroupName(name: string): string {
  return name
    .toLocaleLowerCase('en-US')
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[-._]+|[-._]+$/g, '')
    .slice(0, MAX_NAME_LENGTH)
    .replace(/[-._]+$/g, '');
}

function toGroupRef(value: string, where: string): string {
  let ref;
  try {
    ref = parseEntityRef(value, {
      defaultKind: 'group',
      defaultNamespace: 'default',
    });
  } catch (error) {
    throw new Error(`${where}: '${value}' is not a group name or reference`);
  }
  if (ref.kind.toLocaleLowerCase('en-US') !== 'group') {
    throw new Error(`${where}: '${value}' is a ${ref.kind}, not a group`);
  }
  // Backstage compares ownership references in lower case.
  return stringifyEntityRef(ref).toLocaleLowerCase('en-US');
}

/** The group reference an Okta group name maps to, or undefined if it does not count. */
export function oktaGroupToEntityRef(
  oktaGroup: string,
  mapping: OktaGroupMapping,
): string | undefined {
  const explicit = mapping.map.get(oktaGroup);
  if (explicit) {
    return explicit;
  }
  if (mapping.prefix && !oktaGroup.startsWith(mapping.prefix)) {
    return undefined;
  }
  const name = normalizeGroupName(
    mapping.stripPrefix ? oktaGroup.slice(mapping.prefix.length) : oktaGroup,
  );
  return name ? `group:default/${name}` : undefined;
}

/**
 * Group references from an Okta `groups` claim (anything that is not an
 * array of strings counts as no groups), without duplicates.
 */
export function oktaGroupsToEntityRefs(
  claim: unknown,
  mapping: OktaGroupMapping,
): string[] {
  if (!Array.isArray(claim)) {
    return [];
  }
  const refs = new Set<string>();
  for (const group of claim) {
    if (typeof group !== 'string') continue;
    const ref = oktaGroupToEntityRef(group, mapping);
    if (ref) refs.add(ref);
  }
  return [...refs];
}
