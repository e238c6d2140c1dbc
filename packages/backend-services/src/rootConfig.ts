import {
  coreServices,
  createServiceFactory,
  RootConfigService,
} from '@backstage/backend-plugin-api';
import { Config, readDurationFromConfig } from '@backstage/config';
import {
  AsyncConfigSourceGenerator,
  ClosableConfig,
  ConfigSource,
  ConfigSources,
  ReadConfigDataOptions,
} from '@backstage/config-loader';
import { durationToMilliseconds, JsonObject } from '@backstage/types';
import {
  ContractVariable,
  createContractSubstitution,
  deploymentContract,
} from './contract';
import { applyAnalyticsCsp } from './analytics';
import { applyCacheAvailability } from './cache';
import { writeStartupLog } from './cloudLogging';
import { applyDatabaseSettings } from './database';
import { applyGithubAvailability } from './github';
import { applyMigrateOnlySettings } from './migrateOnly';
import { attachSecrets, EnvironmentSecrets, SecretAccessor } from './secrets';
import { dropTokenlessStaticAccess } from './staticAccess';

export interface LoadPortalConfigOptions {
  /** Command line; `--config <file>` arguments pick the files (default: process.argv). */
  argv?: string[];
  /** Environment for `${VAR}` substitution (default: process.env). */
  env?: Record<string, string | undefined>;
  contract?: ReadonlyArray<ContractVariable>;
  /** Watch config files for changes (default: only outside production). */
  watch?: boolean;
  /** Reads `sm://` references (default: Secret Manager's client). */
  secretAccessor?: SecretAccessor;
}

/**
 * The portal's adjustments to the merged configuration: a `static` external
 * access entry without a token is dropped (staticAccess.ts), GitHub ingestion
 * without an organisation or credentials is turned off (github.ts), Redis
 * without REDIS_URL becomes memory (cache.ts), the database settings for
 * Cloud SQL, pools and timeouts (database.ts), the CSP allows Google
 * Analytics only with a measurement id (analytics.ts), the migration job
 * processes no catalog entities (migrateOnly.ts). Returns the data and
 * what to tell the operator.
 */
function adjust(raw: JsonObject): { data: JsonObject; notes: string[] } {
  const { data: withAccess, dropped } = dropTokenlessStaticAccess(raw);
  const github = applyGithubAvailability(withAccess);
  const { off } = github;
  let { data } = github;
  // Redis configured but REDIS_URL unset: the cache is in memory.
  ({ data } = applyCacheAvailability(data));
  // Cloud SQL: socket, TCP or the connector with IAM; pool and timeout numbers.
  ({ data } = applyDatabaseSettings(data));
  // GA4 measurement id set: the CSP allows Google Analytics.
  ({ data } = applyAnalyticsCsp(data));
  // The migration job (PORTAL_MIGRATE_ONLY) processes no catalog entities.
  ({ data } = applyMigrateOnlySettings(data));
  return {
    data,
    notes: [
      // Static access without a token (PORTAL_API_TOKEN unset): disabled.
      ...dropped.map(
        subject =>
          `Static external access '${subject}' has no token (PORTAL_API_TOKEN unset?); no static token is accepted for it`,
      ),
      // GitHub ingestion without an organisation or credentials: off.
      ...off.map(line => `${line}; see docs/github.md`),
    ],
  };
}

/**
 * A config source whose data the loader pushes: ConfigSources.toConfig over
 * it gives the observable config (subscribers hear of every push).
 */
class PushedConfigSource implements ConfigSource {
  private latest: JsonObject | undefined;
  private wake: (() => void) | undefined;

  push(data: JsonObject) {
    this.latest = data;
    this.wake?.();
  }

  async *readConfigData(
    options?: ReadConfigDataOptions,
  ): AsyncConfigSourceGenerator {
    const signal = options?.signal;
    signal?.addEventListener('abort', () => this.wake?.(), { once: true });
    while (!signal?.aborted) {
      if (this.latest) {
        const data = this.latest;
        this.latest = undefined;
        yield { configs: [{ data, context: 'portal' }] };
        continue;
      }
      await new Promise<void>(resolve => {
        this.wake = resolve;
      });
      this.wake = undefined;
    }
  }
}

/**
 * Loads configuration the way Backstage's default root config service does,
 * with three additions:
 * - contract variables holding `sm://<project>/<secret>[#<version>]` are read
 *   from Secret Manager first (secrets.ts); one that cannot be read stops
 *   start-up with a message naming the variable and the reference;
 * - start-up fails with one message naming every required contract variable
 *   that the loaded files reference but the environment does not provide (or
 *   whose value is unusable);
 * - the portal's adjustments (see `adjust`).
 * The result is live: changed files (outside production) and rotated
 * secrets (`portal.secrets.refreshInterval`) reach subscribers.
 */
export async function loadPortalConfig(
  options: LoadPortalConfigOptions = {},
): Promise<RootConfigService> {
  const env = options.env ?? process.env;
  const contract = options.contract ?? deploymentContract;
  const watch = options.watch ?? env.NODE_ENV !== 'production';
  const secrets = await EnvironmentSecrets.resolve({
    env,
    contract,
    accessor: options.secretAccessor,
  });
  const pushed = new PushedConfigSource();
  let files: ClosableConfig | undefined;
  let closed = false;

  // Reads the files with the given environment; throws on a contract
  // problem. Later reads (file change, rotation) keep the last good config.
  const read = async (readEnv: Record<string, string | undefined>) => {
    const { substitute, check } = createContractSubstitution(readEnv, contract);
    const config = await ConfigSources.toConfig(
      ConfigSources.default({
        argv: options.argv ?? process.argv,
        env: readEnv,
        substitutionFunc: substitute,
        watch,
      }),
    );
    let adjusted: ReturnType<typeof adjust>;
    try {
      check();
      adjusted = adjust(config.get<JsonObject>());
    } catch (error) {
      config.close();
      throw error;
    }
    if (closed) {
      config.close();
      return adjusted.notes;
    }
    config.subscribe?.(() => {
      try {
        check();
        pushed.push(adjust(config.get<JsonObject>()).data);
      } catch (error) {
        writeStartupLog(
          'ERROR',
          'Changed configuration not applied (the last good one stays):',
          error,
        );
      }
    });
    files?.close();
    files = config;
    pushed.push(adjusted.data);
    return adjusted.notes;
  };

  let root: ClosableConfig;
  let interval: number;
  try {
    const notes = await read(secrets.env);
    for (const note of notes) writeStartupLog('INFO', note);
    root = await ConfigSources.toConfig(pushed);
    interval = refreshIntervalMs(root);
  } catch (error) {
    files?.close();
    await secrets.close();
    throw error;
  }
  attachSecrets(root, secrets);
  for (const { variable, reference, version } of secrets.variables) {
    writeStartupLog(
      'INFO',
      `${variable} read from Secret Manager (${reference}, version ${version})`,
    );
  }

  let timer: NodeJS.Timeout | undefined;
  if (secrets.refreshable && interval > 0) {
    // A change is applied only when the configuration read with it is
    // accepted; until then each refresh tries it again (and says so).
    const refresh = async () => {
      const { changed, failed, env: next, apply } = await secrets.refresh();
      for (const f of failed) {
        writeStartupLog(
          'WARNING',
          `Secret refresh: ${f.variable} (${f.reference}) could not be read, keeping its current value: ${f.reason}`,
        );
      }
      if (changed.length === 0 || closed) return;
      try {
        await read(next);
      } catch (error) {
        writeStartupLog(
          'ERROR',
          `Rotated secrets ${changed
            .map(c => c.variable)
            .join(
              ', ',
            )} not applied (the last good configuration stays; tried again in ${Math.round(
            interval / 1000,
          )} s):`,
          error,
        );
        return;
      }
      apply();
      for (const c of changed) {
        writeStartupLog(
          'INFO',
          `${c.variable} rotated in Secret Manager (version ${c.from} -> ${c.to}); configuration reloaded`,
        );
      }
    };
    const schedule = () => {
      if (closed) return;
      timer = setTimeout(() => {
        refresh()
          .catch(error =>
            writeStartupLog('ERROR', 'Secret refresh failed:', error),
          )
          .finally(schedule);
      }, interval);
      timer.unref();
    };
    schedule();
  } else {
    // Nothing to read again: let the client go.
    await secrets.close();
  }

  const close = root.close.bind(root);
  root.close = () => {
    closed = true;
    clearTimeout(timer);
    timer = undefined;
    files?.close();
    secrets.close().catch(() => {});
    close();
  };
  return root;
}

/**
 * `portal.secrets.refreshInterval` in ms: a duration, or a number of
 * milliseconds (default 10 minutes; 0 or false: off).
 */
function refreshIntervalMs(config: Config): number {
  const key = 'portal.secrets.refreshInterval';
  if (!config.has(key)) return 10 * 60_000;
  const value = config.get(key);
  if (value === false) return 0;
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) {
      throw new Error(
        `${key} must be a duration (e.g. { minutes: 10 } or '10m') or a number of milliseconds >= 0, not ${value}`,
      );
    }
    return value;
  }
  return durationToMilliseconds(readDurationFromConfig(config, { key }));
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
