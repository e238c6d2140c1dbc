import {
  coreServices,
  createServiceFactory,
  RootConfigService,
} from '@backstage/backend-plugin-api';
import { ConfigReader } from '@backstage/config';
import { ConfigSources } from '@backstage/config-loader';
import { JsonObject } from '@backstage/types';
import {
  ContractVariable,
  createContractSubstitution,
  deploymentContract,
} from './contract';
import { applyCacheAvailability } from './cache';
import { writeStartupLog } from './cloudLogging';
import { applyGithubAvailability } from './github';
import { dropTokenlessStaticAccess } from './staticAccess';

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
 * the loaded files reference but the environment does not provide (or whose
 * value is unusable). A `static` external access entry without a token is
 * dropped (see staticAccess.ts), and GitHub ingestion without an organisation
 * or credentials is turned off (see github.ts).
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
  const raw = config.get<JsonObject>();
  const { data: withAccess, dropped } = dropTokenlessStaticAccess(raw);
  let data: JsonObject;
  let off: string[];
  try {
    ({ data, off } = applyGithubAvailability(withAccess));
  } catch (error) {
    config.close();
    throw error;
  }
  // Redis configured but REDIS_URL unset: the cache is in memory.
  ({ data } = applyCacheAvailability(data));
  // Static access without a token (PORTAL_API_TOKEN unset): disabled.
  for (const subject of dropped) {
    writeStartupLog(
      'INFO',
      `Static external access '${subject}' has no token (PORTAL_API_TOKEN unset?); no static token is accepted for it`,
    );
  }
  // GitHub ingestion without an organisation or credentials: off.
  for (const line of off) {
    writeStartupLog('INFO', `${line}; see docs/github.md`);
  }
  if (data === raw) {
    return config;
  }
  config.close();
  return new ConfigReader(data, 'portal');
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
