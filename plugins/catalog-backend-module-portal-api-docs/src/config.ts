import {
  readSchedulerServiceTaskScheduleDefinitionFromConfig,
  SchedulerServiceTaskScheduleDefinition,
} from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';
import { TransformOptions } from './transform';

/** One provider instance: one bucket and prefix. */
export interface GcsApiDocsConfig extends TransformOptions {
  id: string;
  bucket: string;
  /** Custom endpoint (a local server, Private Service Connect); default Google's. */
  apiEndpoint?: string;
  /**
   * Send Application Default Credentials to a custom endpoint
   * (`apiEndpoint` or STORAGE_EMULATOR_HOST). Google's endpoint always gets
   * them. Default false.
   */
  authenticate: boolean;
  /** Retries of one listing or download request (the client's backoff). */
  retries: number;
  /** Downloads in flight at once. */
  concurrency: number;
  schedule: SchedulerServiceTaskScheduleDefinition;
}

export const CONFIG_ROOT = 'catalog.providers.gcsApiDocs';

const INSTANCE_KEYS = [
  'bucket',
  'prefix',
  'namespace',
  'defaults',
  'maxSpecSize',
  'maxYamlAliases',
  'apiEndpoint',
  'authenticate',
  'retries',
  'concurrency',
  'schedule',
];

const DEFAULT_SCHEDULE = {
  frequency: { minutes: 5 },
  timeout: { minutes: 3 },
};

/**
 * `catalog.providers.gcsApiDocs` is either one instance (`bucket` at the top,
 * id `default`) or a map of id -> instance. An instance without a bucket
 * (API_DOCS_BUCKET unset) is off and returned in `off`.
 */
export function readGcsApiDocsConfigs(config: Config): {
  instances: GcsApiDocsConfig[];
  off: string[];
} {
  const root = config.getOptionalConfig(CONFIG_ROOT);
  if (!root) return { instances: [], off: [] };
  // One instance when any instance key is at the top (with API_DOCS_BUCKET
  // unset, app-config.yaml still has prefix, defaults, schedule, ...).
  const single = root.keys().some(key => INSTANCE_KEYS.includes(key));
  const entries: Array<[string, Config]> = single
    ? [['default', root]]
    : root.keys().map(id => [id, root.getConfig(id)]);
  const instances: GcsApiDocsConfig[] = [];
  const off: string[] = [];
  for (const [id, c] of entries) {
    const bucket = c.getOptionalString('bucket')?.trim();
    if (!bucket) {
      off.push(id);
      continue;
    }
    const at = (key: string) =>
      `${CONFIG_ROOT}${root.has('bucket') ? '' : `.${id}`}.${key}`;
    const positive = (key: string, fallback: number) => {
      const value = c.getOptionalNumber(key) ?? fallback;
      if (!Number.isInteger(value) || value < 0) {
        throw new InputError(
          `${at(key)} must be a whole number ≥ 0, not ${value}`,
        );
      }
      return value;
    };
    const apiEndpoint = c.getOptionalString('apiEndpoint') || undefined;
    instances.push({
      id,
      bucket,
      prefix: c.getOptionalString('prefix') ?? '',
      namespace: c.getOptionalString('namespace') ?? 'default',
      apiEndpoint,
      authenticate: c.getOptionalBoolean('authenticate') ?? false,
      defaults: {
        owner: c.getOptionalString('defaults.owner') || undefined,
        system: c.getOptionalString('defaults.system') || undefined,
        lifecycle: c.getOptionalString('defaults.lifecycle') || 'production',
      },
      maxSpecSize: positive('maxSpecSize', 5 * 1024 * 1024),
      maxYamlAliases: positive('maxYamlAliases', 100),
      retries: positive('retries', 3),
      concurrency: Math.max(1, positive('concurrency', 16)),
      schedule: c.has('schedule')
        ? readSchedulerServiceTaskScheduleDefinitionFromConfig(
            c.getConfig('schedule'),
          )
        : DEFAULT_SCHEDULE,
    });
  }
  return { instances, off };
}
