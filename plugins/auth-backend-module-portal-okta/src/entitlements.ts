import { parseEntityRef } from '@backstage/catalog-model';
import { Config } from '@backstage/config';
import {
  OktaGroupMapping,
  oktaGroupNames,
  oktaGroupsToEntityRefs,
} from './groups';
import { portalRoleRefs } from './roles';

/** The Okta groups that give portal roles: exact names, no mapping. */
export interface PortalRoleGroups {
  /** `portal.authorization.adminGroup` (OKTA_ADMIN_GROUP). */
  adminGroup?: string;
  /** `portal.authorization.templateAuthorGroup` (OKTA_TEMPLATE_AUTHOR_GROUP). */
  templateAuthorGroup?: string;
}

/** Reads `portal.authorization.adminGroup` and `.templateAuthorGroup` ('' = unset). */
export function readPortalRoleGroups(config: Config): PortalRoleGroups {
  const read = (key: string) =>
    config.getOptionalString(`portal.authorization.${key}`) || undefined;
  return {
    adminGroup: read('adminGroup'),
    templateAuthorGroup: read('templateAuthorGroup'),
  };
}

const CATALOG_KINDS = new Set(['user', 'group']);

/**
 * The ownership references the catalog gave a user, reduced to what the
 * catalog may grant: `user:` and `group:` references outside the Okta
 * namespace. Role references (`role:portal/...`), Okta-namespace groups and
 * anything unparsable are dropped, so no catalog content (a GitHub team, a
 * YAML group, a registered entity) can pose as a role or an Okta group.
 */
export function catalogOwnershipRefs(
  refs: readonly string[],
  oktaNamespace: string,
): string[] {
  const kept: string[] = [];
  for (const ref of refs) {
    let parsed;
    try {
      parsed = parseEntityRef(ref);
    } catch {
      continue;
    }
    const kind = parsed.kind.toLocaleLowerCase('en-US');
    const namespace = parsed.namespace.toLocaleLowerCase('en-US');
    if (CATALOG_KINDS.has(kind) && namespace !== oktaNamespace) {
      kept.push(ref);
    }
  }
  return kept;
}

/**
 * Role references from the verified Okta claims: member when at least one
 * Okta group was mapped; admin and template author when the raw `groups`
 * claim holds the configured group name exactly (case-sensitive).
 */
export function portalRoles(
  groupsClaim: unknown,
  mappedGroupRefs: readonly string[],
  roleGroups: PortalRoleGroups,
): string[] {
  const names = oktaGroupNames(groupsClaim);
  const roles: string[] = [];
  if (mappedGroupRefs.length > 0) roles.push(portalRoleRefs.member);
  if (roleGroups.adminGroup && names.includes(roleGroups.adminGroup)) {
    roles.push(portalRoleRefs.admin);
  }
  if (
    roleGroups.templateAuthorGroup &&
    names.includes(roleGroups.templateAuthorGroup)
  ) {
    roles.push(portalRoleRefs.templateAuthor);
  }
  return roles;
}

/**
 * The `ent` claim of a user's Backstage token: the catalog's user and group
 * references (outside the Okta namespace), the mapped Okta groups, and the
 * portal roles, without duplicates.
 */
export function tokenEntitlements(options: {
  catalogRefs: readonly string[];
  groupsClaim: unknown;
  mapping: OktaGroupMapping;
  roleGroups: PortalRoleGroups;
}): string[] {
  const oktaRefs = oktaGroupsToEntityRefs(options.groupsClaim, options.mapping);
  return [
    ...new Set([
      ...catalogOwnershipRefs(options.catalogRefs, options.mapping.namespace),
      ...oktaRefs,
      ...portalRoles(options.groupsClaim, oktaRefs, options.roleGroups),
    ]),
  ];
}
