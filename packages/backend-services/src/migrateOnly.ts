/*
 * The migration job mode: the same image, started with PORTAL_MIGRATE_ONLY=true
 * (`portal.migrateOnly` in app-config.production.yaml), runs every database
 * migration and exits. Backstage has no separate migration command: each
 * plugin migrates its database while it starts, and each plugin's scheduler
 * migrates its task tables the first time it touches them (which may be
 * after start-up). So the backend starts as usual; once a plugin has started
 * its scheduler is made to touch its tables; once every plugin has (the root
 * lifecycle's startup hooks run after all of them) the process shuts down the
 * normal way (as on SIGTERM: plugins stopped, pools closed) and exits 0. A
 * plugin that fails to start, such as a failed migration, fails start-up:
 * exit 1 (packages/backend/src/index.ts); so does a scheduler whose tables
 * cannot be migrated.
 *
 * The pipeline runs it as a Cloud Run job before traffic moves; serving
 * instances then set PORTAL_SKIP_MIGRATIONS=true (docs/deployment.md).
 */
import {
  coreServices,
  createBackendFeatureLoader,
  createServiceFactory,
  createServiceRef,
} from '@backstage/backend-plugin-api';
import { JsonObject } from '@backstage/types';
import { isObject, isTrue } from './jsonValues';

/** Whether `portal.migrateOnly` (a boolean or its spelling as a string) is on. */
function isMigrateOnly(data: JsonObject): boolean {
  return isObject(data.portal) && isTrue(data.portal.migrateOnly);
}

/**
 * The migration job starts the catalog like any instance, but must not claim
 * entities for processing: it exits moments later, and claimed entities wait
 * for their next processing interval before a serving instance takes them.
 * So in the migration job mode `catalog.processingInterval` is false (the
 * catalog's processing loop does not start). Used by loadPortalConfig.
 */
export function applyMigrateOnlySettings(data: JsonObject): {
  data: JsonObject;
} {
  if (!isMigrateOnly(data)) return { data };
  const catalog = isObject(data.catalog) ? data.catalog : {};
  return {
    data: { ...data, catalog: { ...catalog, processingInterval: false } },
  };
}

export interface MigrateOnlyService {
  /** A plugin's migration outside its start-up failed: the job fails. */
  reportFailure(pluginId: string, error: unknown): void;
}

export const migrateOnlyServiceRef = createServiceRef<MigrateOnlyService>({
  id: 'portal.migrate-only',
  scope: 'root',
});

const migrateOnlyPluginServiceRef = createServiceRef<void>({
  id: 'portal.migrate-only.plugin',
  scope: 'plugin',
});

export interface MigrateOnlyOptions {
  /**
   * Ends the process once every plugin has started: code 0 by Backstage's
   * normal shutdown (SIGTERM to itself), code 1 at once.
   */
  exit?: (code: 0 | 1) => void;
}

const exitProcess = (code: 0 | 1) => {
  if (code === 0) {
    process.kill(process.pid, 'SIGTERM');
  } else {
    process.exit(1);
  }
};

/** Not a task: asking the scheduler to trigger it reads its tables. */
const PROBE_TASK = 'portal-migrate-only-probe';

/**
 * The migration job mode: a root service that ends the process once the
 * backend has started, and a service in every plugin that makes the
 * plugin's scheduler migrate its tables. With `portal.migrateOnly` both are
 * started with the backend whether or not anything depends on them; without
 * it neither is loaded.
 */
export function createMigrateOnlyFeature(options: MigrateOnlyOptions = {}) {
  const root = createServiceFactory({
    service: migrateOnlyServiceRef,
    initialization: 'always',
    deps: {
      config: coreServices.rootConfig,
      lifecycle: coreServices.rootLifecycle,
      logger: coreServices.rootLogger,
    },
    factory({ config, lifecycle, logger }): MigrateOnlyService {
      if (config.getOptionalBoolean('backend.database.skipMigrations')) {
        throw new Error(
          'PORTAL_MIGRATE_ONLY and PORTAL_SKIP_MIGRATIONS are both true: the migration job would migrate nothing. Unset PORTAL_SKIP_MIGRATIONS on the job.',
        );
      }
      logger.info(
        'Migration job (PORTAL_MIGRATE_ONLY): every plugin migrates its database while it starts; the process exits once all have started',
      );
      const failures: string[] = [];
      lifecycle.addStartupHook(() => {
        if (failures.length > 0) {
          logger.error(`Migration job failed: ${failures.join('; ')}`);
          (options.exit ?? exitProcess)(1);
          return;
        }
        logger.info(
          'Migration job: every plugin started and its migrations are applied; shutting down',
        );
        (options.exit ?? exitProcess)(0);
      });
      return {
        reportFailure(pluginId, error) {
          failures.push(
            `${pluginId}: ${error instanceof Error ? error.message : error}`,
          );
        },
      };
    },
  });

  const perPlugin = createServiceFactory({
    service: migrateOnlyPluginServiceRef,
    initialization: 'always',
    deps: {
      migrateOnly: migrateOnlyServiceRef,
      lifecycle: coreServices.lifecycle,
      scheduler: coreServices.scheduler,
      plugin: coreServices.pluginMetadata,
    },
    factory({ migrateOnly, lifecycle, scheduler, plugin }) {
      lifecycle.addStartupHook(async () => {
        try {
          // Backstage's scheduler migrates its tables before it first reads
          // them; an unknown task is looked up in them, then refused.
          await scheduler.triggerTask(PROBE_TASK);
        } catch (error) {
          if ((error as Error)?.name !== 'NotFoundError') {
            migrateOnly.reportFailure(plugin.getId(), error);
          }
        }
      });
    },
  });

  // Serving instances load neither: no extra scheduler per plugin, no
  // start-up work.
  return createBackendFeatureLoader({
    deps: { config: coreServices.rootConfig },
    *loader({ config }) {
      if (!config.getOptionalBoolean('portal.migrateOnly')) return;
      yield root;
      yield perPlugin;
    },
  });
}

/** The migration job mode, see createMigrateOnlyFeature. */
export const portalMigrateOnly = createMigrateOnlyFeature();
