import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { Config } from '@backstage/config';

/** How Okta group names become Backstage group references. */
export interface OktaGroupMapping {
  /** Only groups starting with this prefix count ('' = all but `Everyone`). */
  prefix: string;
  /** Remove the prefix from the name. */
  stripPrefix: boolean;
  /**
   * Namespace of the references made from prefixed groups
   * (`group:<namespace>/<name>`). Reserved: references in it that come from
   * the catalog are dropped from a user's token, so only Okta puts them there.
   */
  namespace: string;
  /** Explicit Okta name -> group reference, applied before the prefix filter. */
  map: Map<string, string>;
}

/** The default of `portal.okta.groups.namespace`. */
export const DEFAULT_OKTA_GROUP_NAMESPACE = 'okta';

/**
 * Okta's built-in group that every user of the Okta org is in. It never counts
 * through the prefix rule (only an explicit `map` entry can name it).
 */
export const OKTA_EVERYONE_GROUP = 'Everyone';

const MAX_NAME_LENGTH = 63;
const NAMESPACE = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** Reads `portal.okta.groups`; every key is optional. */
export function readOktaGroupMapping(config: Config): OktaGroupMapping {
  const groups = config.getOptionalConfig('portal.okta.groups');
  const map = new Map<string, string>();
  for (const entry of groups?.getOptionalConfigArray('map') ?? []) {
    const okta = entry.getString('okta');
    const group = entry.getString('group');
    map.set(okta, toGroupRef(group, `portal.okta.groups.map entry '${okta}'`));
  }
  const namespace =
    groups?.getOptionalString('namespace') ?? DEFAULT_OKTA_GROUP_NAMESPACE;
  if (!NAMESPACE.test(namespace) || namespace.length > MAX_NAME_LENGTH) {
    throw new Error(
      `portal.okta.groups.namespace: '${namespace}' is not a namespace name (lower-case letters, digits and single hyphens, at most 63 characters)`,
    );
  }
  if (namespace === 'default') {
    throw new Error(
      "portal.okta.groups.namespace: 'default' is the catalog's own namespace (GitHub teams, YAML groups); Okta groups need a namespace of their own, e.g. okta",
    );
  }
  return {
    // '' (written out in a layer) means no prefix, like leaving it out.
    prefix:
      groups?.getOptional('prefix') === ''
        ? ''
        : groups?.getOptionalString('prefix') ?? '',
    stripPrefix: groups?.getOptionalBoolean('stripPrefix') ?? true,
    namespace,
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

/**
 * The group reference an Okta group name maps to, or undefined if it does not
 * count: an explicit `map` entry gives its reference; otherwise a group with
 * the prefix (any group but `Everyone` when there is no prefix) becomes
 * `group:<namespace>/<normalised name>`.
 */
export function oktaGroupToEntityRef(
  oktaGroup: string,
  mapping: OktaGroupMapping,
): string | undefined {
  const explicit = mapping.map.get(oktaGroup);
  if (explicit) {
    return explicit;
  }
  if (oktaGroup === OKTA_EVERYONE_GROUP) {
    return undefined;
  }
  if (mapping.prefix && !oktaGroup.startsWith(mapping.prefix)) {
    return undefined;
  }
  const name = normalizeGroupName(
    mapping.stripPrefix ? oktaGroup.slice(mapping.prefix.length) : oktaGroup,
  );
  return name ? `group:${mapping.namespace}/${name}` : undefined;
}

/** The `groups` claim as a list of strings (anything else: no groups). */
export function oktaGroupNames(claim: unknown): string[] {
  return Array.isArray(claim)
    ? claim.filter((g): g is string => typeof g === 'string')
    : [];
}

/**
 * Group references from an Okta `groups` claim (anything that is not an
 * array of strings counts as no groups), without duplicates.
 */
export function oktaGroupsToEntityRefs(
  claim: unknown,
  mapping: OktaGroupMapping,
): string[] {
  const refs = new Set<string>();
  for (const group of oktaGroupNames(claim)) {
    const ref = oktaGroupToEntityRef(group, mapping);
    if (ref) refs.add(ref);
  }
  return [...refs];
}

/** Whether the mapping lets only chosen groups count (a prefix or map entries). */
export function isGroupMappingRestricted(mapping: OktaGroupMapping): boolean {
  return mapping.prefix !== '' || mapping.map.size > 0;
}
