/**
 * Service factories of the portal's backend: root config with the deployment
 * contract check, and the optional static API token.
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
  optionalStaticTokenHandler,
  optionalStaticTokenHandlerFactory,
} from './apiToken';
export {
  installDrain,
  portalRootHttpRouterServiceFactory,
  DRAIN_LIMIT_MS,
} from './gracefulShutdown';
