import {
  coreServices,
  createBackendPlugin,
  createServiceFactory,
  DatabaseService,
  SchedulerService,
} from '@backstage/backend-plugin-api';
import { schedulerServiceFactory } from '@backstage/backend-defaults/scheduler';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import {
  applyMigrateOnlySettings,
  createMigrateOnlyFeature,
} from './migrateOnly';

type Knex = Awaited<ReturnType<DatabaseService['getClient']>>;

/**
 * A plugin that records when it started, so ordering can be checked, and
 * hands out its database.
 */
function recordingPlugin(
  events: string[],
  { fail = false, onDatabase = (_: Knex) => {} } = {},
) {
  return createBackendPlugin({
    pluginId: 'recorder',
    register(env) {
      env.registerInit({
        deps: {
          lifecycle: coreServices.lifecycle,
          database: coreServices.database,
        },
        async init({ lifecycle, database }) {
          // Stands for a plugin migrating its database while it starts.
          onDatabase(await database.getClient());
          if (fail) throw new Error('migration 20250101_x.js failed');
          events.push('plugin initialized');
          lifecycle.addStartupHook(() => {
            events.push('plugin started');
          });
        },
      });
    },
  });
}

/** Whether the scheduler's task table is in the plugin's database. */
const hasTaskTable = (knex: Knex | undefined) =>
  knex!.schema.hasTable('backstage_backend_tasks__tasks');

describe('the migration job mode', () => {
  it('shuts the process down once every plugin has started', async () => {
    const events: string[] = [];
    let knex: Knex | undefined;
    const backend = await startTestBackend({
      features: [
        mockServices.rootConfig.factory({
          data: { portal: { migrateOnly: 'true' } },
        }),
        // Backstage's scheduler (the test backend's is a mock).
        schedulerServiceFactory,
        createMigrateOnlyFeature({
          exit: code => events.push(`exit ${code}`),
        }),
        recordingPlugin(events, { onDatabase: k => (knex = k) }),
      ],
    });
    expect(events).toEqual(['plugin initialized', 'plugin started', 'exit 0']);
    // The plugin's scheduler migrated its tables, though it ran no task.
    await expect(hasTaskTable(knex)).resolves.toBe(true);
    await backend.stop();
  });

  it('does nothing without portal.migrateOnly (serving instances)', async () => {
    const events: string[] = [];
    for (const migrateOnly of [undefined, false, 'false']) {
      let knex: Knex | undefined;
      const backend = await startTestBackend({
        features: [
          mockServices.rootConfig.factory({
            data: migrateOnly === undefined ? {} : { portal: { migrateOnly } },
          }),
          schedulerServiceFactory,
          createMigrateOnlyFeature({
            exit: code => events.push(`exit ${code}`),
          }),
          recordingPlugin(events, { onDatabase: k => (knex = k) }),
        ],
      });
      await expect(hasTaskTable(knex)).resolves.toBe(false);
      await backend.stop();
    }
    expect(events).not.toContain('exit 0');
  });

  it('a plugin that fails to start fails start-up, and no shutdown is requested', async () => {
    const events: string[] = [];
    await expect(
      startTestBackend({
        features: [
          mockServices.rootConfig.factory({
            data: { portal: { migrateOnly: true } },
          }),
          createMigrateOnlyFeature({
            exit: code => events.push(`exit ${code}`),
          }),
          recordingPlugin(events, { fail: true }),
        ],
      }),
    ).rejects.toThrow(/recorder/);
    expect(events).toEqual([]);
  });

  it('refuses to run with skipMigrations (it would migrate nothing)', async () => {
    await expect(
      startTestBackend({
        features: [
          mockServices.rootConfig.factory({
            data: {
              portal: { migrateOnly: true },
              backend: { database: { skipMigrations: true } },
            },
          }),
          createMigrateOnlyFeature({ exit: () => {} }),
          recordingPlugin([]),
        ],
      }),
    ).rejects.toThrow(
      'PORTAL_MIGRATE_ONLY and PORTAL_SKIP_MIGRATIONS are both true',
    );
  });

  it('a scheduler whose tables cannot be migrated fails the job (exit 1)', async () => {
    const events: string[] = [];
    const brokenScheduler = createServiceFactory({
      service: coreServices.scheduler,
      deps: {},
      factory: () =>
        ({
          async triggerTask() {
            throw new Error('permission denied for schema public');
          },
        } as unknown as SchedulerService),
    });
    await startTestBackend({
      features: [
        mockServices.rootConfig.factory({
          data: { portal: { migrateOnly: true } },
        }),
        brokenScheduler,
        createMigrateOnlyFeature({
          exit: code => events.push(`exit ${code}`),
        }),
        recordingPlugin(events),
      ],
    }).then(backend => backend.stop());
    expect(events).toEqual(['plugin initialized', 'plugin started', 'exit 1']);
  });
});

describe('applyMigrateOnlySettings', () => {
  it('turns catalog processing off in the migration job mode only', () => {
    const serving = {
      portal: { migrateOnly: 'false' },
      catalog: { rules: [] },
    };
    expect(applyMigrateOnlySettings(serving).data).toBe(serving);
    expect(applyMigrateOnlySettings({}).data).toEqual({});
    for (const migrateOnly of ['true', true, ' TRUE ']) {
      expect(
        applyMigrateOnlySettings({
          portal: { migrateOnly },
          catalog: { rules: [] },
        }).data.catalog,
      ).toEqual({ rules: [], processingInterval: false });
    }
  });
});
