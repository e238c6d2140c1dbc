/**
 * Service factories of the portal's backend: root config with the deployment
 * contract check (static access without a token is dropped), and connection
 * draining on shutdown.
 *
 * @packageDocumentation
 */
export {
  deploymentContract,
  createContractSubstitution,
  MissingEnvironmentError,
} from './contract';
export type { ContractVariable } from './contract';
export { loadPortalConfig, portalRootConfigServiceFactory } from './rootConfig';
export type { LoadPortalConfigOptions } from './rootConfig';
export {
  createSecretManagerAccessor,
  describeAccessFailure,
  EnvironmentSecrets,
  isSecretReference,
  parseSecretReference,
  SecretResolutionError,
  secretValuesOf,
} from './secrets';
export type {
  AccessedSecret,
  SecretAccessor,
  SecretReference,
} from './secrets';
export { applyGithubAvailability } from './github';
export { dropTokenlessStaticAccess } from './staticAccess';
export {
  describeGithubFailure,
  formatGithubFailure,
  portalLoggerServiceFactory,
  readGithubTaskContext,
  recordGithubFailures,
  withGithubFailureContext,
} from './githubErrors';
export type { GithubFailure, GithubTaskContext } from './githubErrors';
export {
  githubWaitMs,
  portalSchedulerServiceFactory,
  readGithubRateLimitWaits,
  withGithubRateLimitWaits,
} from './githubRateLimits';
export type { GithubRateLimitWaitOptions } from './githubRateLimits';
export {
  applyCacheAvailability,
  DEFAULT_CACHE_TIMEOUT_MS,
  portalCacheServiceFactory,
  withCacheTimeouts,
} from './cache';
export {
  cloudLoggingFormat,
  cloudLoggingOptionsFromEnv,
  currentRequestTrace,
  parseTraceHeaders,
  portalRootLoggerServiceFactory,
  requestTraceMiddleware,
  toCloudLoggingEntry,
  writeStartupLog,
} from './cloudLogging';
export type { CloudLoggingOptions, RequestTrace } from './cloudLogging';
export {
  installDrain,
  portalRootHttpRouterServiceFactory,
  DRAIN_LIMIT_MS,
} from './gracefulShutdown';
export {
  portalPermissionsServiceFactory,
  withDenyLogging,
} from './permissions';
export {
  applyMigrateOnlySettings,
  createMigrateOnlyFeature,
  migrateOnlyServiceRef,
  portalMigrateOnly,
} from './migrateOnly';
export type { MigrateOnlyOptions, MigrateOnlyService } from './migrateOnly';
export {
  createGuestSignInFeature,
  guestSignInDecision,
  portalGuestSignIn,
} from './guestSignIn';
export type { GuestSignInDecision, GuestSignInOptions } from './guestSignIn';
export {
  asTooLarge,
  bodyLimitFor,
  bodyLimitPrecheck,
  errorResponseFilter,
  hardenRootRouter,
  PayloadTooLargeError,
  PLUGIN_BODY_LIMITS,
} from './httpHardening';
export type {
  BodyLimits,
  ErrorResponseOptions,
  HardenableMiddleware,
} from './httpHardening';
