import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import { GithubEventRouter } from '@backstage/plugin-events-backend-module-github';
import { eventsServiceRef } from '@backstage/plugin-events-node';
import {
  DatabaseDeliveryLedger,
  DELIVERIES_TABLE,
  lazyLedger,
  migrateDeliveriesTable,
} from './deliveries';
import { createGithubWebhookHandler } from './ingress';

/**
 * Webhook secrets GitHub signs deliveries with: the organisation webhook's
 * (`events.modules.github.webhookSecret`, GITHUB_WEBHOOK_SECRET) and those of
 * GitHub Apps (`integrations.github[].apps[].webhookSecret`).
 */
export function readGithubWebhookSecrets(config: Config): string[] {
  const secrets = new Set<string>();
  const generic = config.getOptionalString(
    'events.modules.github.webhookSecret',
  );
  if (generic) secrets.add(generic);
  for (const integration of config.getOptionalConfigArray(
    'integrations.github',
  ) ?? []) {
    for (const app of integration.getOptionalConfigArray('apps') ?? []) {
      const secret = app.getOptionalString('webhookSecret');
      if (secret) secrets.add(secret);
    }
  }
  return [...secrets];
}

/**
 * GitHub webhooks into the events backend: `POST /api/events/http/github`,
 * our own route on the events plugin's router, ahead of the events backend's
 * HTTP ingress (which parses the body before any check and is not used for
 * this topic). A delivery is accepted only when signed (`X-Hub-Signature-256`
 * over the raw body, with the secrets as configured at that moment), at most
 * 1 MB, JSON, with an `X-GitHub-Delivery` not seen before by any instance
 * (remembered in the events plugin's database for 96 hours). It is then
 * published on `github`, and GitHub's event router republishes it as
 * `github.<event>` (`github.push`, `github.repository`, ...) for the
 * catalog's GitHub providers. Without a secret the route answers 404.
 */
export const eventsModulePortalGithubWebhook = createBackendModule({
  pluginId: 'events',
  moduleId: 'portal-github-webhook',
  register(env) {
    env.registerInit({
      deps: {
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        httpRouter: coreServices.httpRouter,
        database: coreServices.database,
        scheduler: coreServices.scheduler,
        lifecycle: coreServices.lifecycle,
        events: eventsServiceRef,
      },
      async init({
        config,
        logger,
        httpRouter,
        database,
        scheduler,
        lifecycle,
        events,
      }) {
        // The ledger's table is made ready in the background, so the events
        // plugin (and with it the server's readiness) does not wait for the
        // database; a delivery waits for it instead. A failure is tried again
        // by the next delivery.
        const deliveries = lazyLedger(async () => {
          const knex = await database.getClient();
          if (!database.migrations?.skip) {
            await migrateDeliveriesTable(knex);
          } else if (!(await knex.schema.hasTable(DELIVERIES_TABLE))) {
            throw new Error(
              `GitHub webhooks: the table ${DELIVERIES_TABLE} does not exist and migrations are skipped; deliveries fail until the migration job has run`,
            );
          }
          return new DatabaseDeliveryLedger(knex);
        });
        deliveries.ready().catch(error => logger.error(String(error)));
        // Started by now (plugins initialise first), so this rarely waits; it
        // makes the migration job (PORTAL_MIGRATE_ONLY) create the table
        // before it exits, and a table that cannot be created stop start-up.
        // With migrations skipped, a missing table is only logged (above).
        lifecycle.addStartupHook(async () => {
          try {
            await deliveries.ready();
          } catch (error) {
            if (!database.migrations?.skip) throw error;
          }
        });

        // Registered whatever the configuration: the route also shadows an
        // unchecked ingress for the topic (`events.http.topics: [github]`),
        // and answers 404 while no secret is configured.
        httpRouter.addAuthPolicy({
          path: '/http/github',
          allow: 'unauthenticated',
        });
        httpRouter.use(
          createGithubWebhookHandler({
            // Read on every delivery: a rotated secret (Secret Manager
            // refresh, rootConfig.ts) applies to the next one.
            getSecrets: () => readGithubWebhookSecrets(config),
            deliveries,
            publish: ({ eventPayload, metadata }) =>
              events.publish({ topic: 'github', eventPayload, metadata }),
            logger,
          }),
        );

        // Not awaited: the plugin's start does not wait for the scheduler.
        scheduler
          .scheduleTask({
            id: 'portal-github-webhook-deliveries-prune',
            scope: 'global',
            frequency: { hours: 1 },
            timeout: { minutes: 5 },
            initialDelay: { minutes: 5 },
            fn: async () => {
              const pruned = await (await deliveries.ready()).prune();
              if (pruned > 0) {
                logger.info(
                  `Forgot ${pruned} GitHub webhook deliveries older than the redelivery window`,
                );
              }
            },
          })
          .catch(error =>
            logger.error(
              `GitHub webhooks: could not schedule the pruning of old deliveries: ${error}`,
            ),
          );

        if (readGithubWebhookSecrets(config).length === 0) {
          logger.info(
            'GitHub webhooks are off: no webhook secret is configured (GITHUB_WEBHOOK_SECRET)',
          );
        }
        await new GithubEventRouter({ events }).subscribe();
      },
    });
  },
});
