/**
 * Portal roles: references the Okta sign-in resolver puts into a user's
 * Backstage token (`ent` claim) from the verified Okta ID token only. They
 * are not catalog entities: the resolver drops every catalog-derived
 * reference that is not a `user:` or `group:` reference, so nothing in the
 * catalog (GitHub teams, YAML, user-registered entities) can produce one.
 * The permission policy decides admin, member and template author by them.
 */
export const portalRoleRefs = {
  /** In the Okta group `portal.authorization.adminGroup` (exact name). */
  admin: 'role:portal/admin',
  /** In at least one Okta group that `portal.okta.groups` maps. */
  member: 'role:portal/member',
  /** In the Okta group `portal.authorization.templateAuthorGroup` (exact name). */
  templateAuthor: 'role:portal/template-author',
} as const;

export type PortalRole = keyof typeof portalRoleRefs;

/** Whether a token reference is one of the portal's role references. */
export function isPortalRoleRef(ref: string): boolean {
  return Object.values(portalRoleRefs).includes(
    ref.toLocaleLowerCase('en-US') as any,
  );
}
