import {
  coreServices,
  createServiceFactory,
  RootConfigService,
} from '@backstage/backend-plugin-api';
import { ConfigSources } from '@backstage/config-loader';
import {
  ContractVariable,
  createContractSubstitution,
  deploymentContract,
} from './contract';

export interface LoadPortalConfigOptions {
  /** Command line; `--config <file>` arguments pick the files (default: process.argv). */
  argv?: string[];
  /** Environment for `${VAR}` substitution (default: process.env). */
  env?: Record<string, string | undefined>;
  contract?: ReadonlyArray<ContractVariable>;
  /** Watch config files for changes (default: only outside production). */
  watch?: boolean;
}

/**
 * Loads configuration the way Backstage's default root config service does,
 * then fails with one message naming every required contract variable that
 * the loaded files reference but the environment does not provide.
 */
export async function loadPortalConfig(
  options: LoadPortalConfigOptions = {},
): Promise<RootConfigService> {
  const env = options.env ?? process.env;
  const { substitute, check } = createContractSubstitution(
    env,
    options.contract ?? deploymentContract,
  );
  const source = ConfigSources.default({
    argv: options.argv ?? process.argv,
    env,
    substitutionFunc: substitute,
    watch: options.watch ?? env.NODE_ENV !== 'production',
  });
  const config = await ConfigSources.toConfig(source);
  try {
    check();
  } catch (error) {
    config.close();
    throw error;
  }
  return config;
}

/**
 * Root config service: Backstage's default loading plus the deployment
 * contract check (see contract.ts).
 */
export const portalRootConfigServiceFactory = createServiceFactory({
  service: coreServices.rootConfig,
  deps: {},
  async factory() {
    return loadPortalConfig();
  },
});
