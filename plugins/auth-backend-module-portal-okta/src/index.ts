/**
 * Okta sign-in for the portal (auth backend module): verified ID tokens,
 * catalog user matching, Okta groups as ownership (in their own namespace),
 * portal roles from the verified `groups` claim, a rate limit on sign-in
 * starts.
 *
 * @packageDocumentation
 */
export { authModulePortalOkta as default } from './module';
export {
  DEFAULT_OKTA_GROUP_NAMESPACE,
  OKTA_EVERYONE_GROUP,
  isGroupMappingRestricted,
  normalizeGroupName,
  oktaGroupToEntityRef,
  oktaGroupsToEntityRefs,
  readOktaGroupMapping,
} from './groups';
export type { OktaGroupMapping } from './groups';
export {
  catalogOwnershipRefs,
  portalRoles,
  readPortalRoleGroups,
  tokenEntitlements,
} from './entitlements';
export type { PortalRoleGroups } from './entitlements';
export {
  userMatchers,
  defaultUserMatch,
  readPortalOktaOptions,
} from './resolver';
export { portalRoleRefs, isPortalRoleRef } from './roles';
export type { PortalRole } from './roles';
