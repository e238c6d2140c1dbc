/**
 * Okta sign-in for the portal (auth backend module): verified ID tokens,
 * catalog user matching, Okta groups as ownership.
 *
 * @packageDocumentation
 */
export { authModulePortalOkta as default } from './module';
export {
  normalizeGroupName,
  oktaGroupToEntityRef,
  oktaGroupsToEntityRefs,
  readOktaGroupMapping,
} from './groups';
export type { OktaGroupMapping } from './groups';
export {
  userMatchers,
  defaultUserMatch,
  readPortalOktaOptions,
} from './resolver';
export { portalRoleRefs, isPortalRoleRef } from './roles';
export type { PortalRole } from './roles';
