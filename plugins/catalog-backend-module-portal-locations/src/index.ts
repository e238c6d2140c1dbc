/**
 * What users may register in the catalog: URL locations under the
 * organisation's GitHub only; file locations only from the portal's
 * configuration.
 *
 * @packageDocumentation
 */
export { catalogModulePortalLocations as default } from './module';
export {
  ALLOWED_URLS_KEY,
  checkLocationTarget,
  githubIntegrationHosts,
  organisationPrefixes,
  parseAllowedUrlPrefix,
  readAllowedUrlPrefixes,
} from './allowList';
export type { AllowedUrlPrefix, TargetCheck } from './allowList';
export {
  ConfigOnlyFileLocationsProcessor,
  configFileLocationRefs,
  isFileLocationEntity,
} from './fileLocations';
export { createRegistrationGuard } from './registration';
