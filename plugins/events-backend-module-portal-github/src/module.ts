import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import { GithubEventRouter } from '@backstage/plugin-events-backend-module-github';
import { eventsServiceRef } from '@backstage/plugin-events-node';
import { eventsExtensionPoint } from '@backstage/plugin-events-node/alpha';
import type { NextFunction, Request, Response } from 'express';
import { isValidGithubSignature } from './signature';

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

const UNSIGNED =
  'Invalid or missing X-Hub-Signature-256: the delivery is not signed with the webhook secret';

const header = (value: string | string[] | undefined) =>
  Array.isArray(value) ? value.join(',') : value ?? '';

/**
 * GitHub webhooks into the events backend: `POST /api/events/http/github`
 * accepts a delivery only with a valid `X-Hub-Signature-256` (otherwise 401
 * and nothing is published), then GitHub's event router republishes it as
 * `github.<event>` (`github.push`, `github.repository`, ...), which the
 * catalog's GitHub providers subscribe to. Without a secret no endpoint is
 * registered at all.
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
        events: eventsServiceRef,
        ingress: eventsExtensionPoint,
      },
      async init({ config, logger, httpRouter, events, ingress }) {
        const secrets = readGithubWebhookSecrets(config);
        if (secrets.length === 0) {
          logger.info(
            'GitHub webhooks are off: no webhook secret is configured (GITHUB_WEBHOOK_SECRET)',
          );
          return;
        }
        // Before the events backend parses the body: a delivery without any
        // signature is refused here with 401 whatever its content type (the
        // ingress would answer a missing Content-Type with a 500).
        httpRouter.use(
          (request: Request, response: Response, next: NextFunction) => {
            // Express routes ignore case and a trailing slash; so does this.
            if (
              request.method !== 'POST' ||
              !/^\/http\/github\/?$/i.test(request.path)
            ) {
              next();
              return;
            }
            if (!request.headers['x-hub-signature-256']) {
              logger.warn(
                `Rejected GitHub webhook delivery ${
                  header(request.headers['x-github-delivery']) || '(no id)'
                } (event ${
                  header(request.headers['x-github-event']) || 'unknown'
                }): no X-Hub-Signature-256 header`,
              );
              response.status(401).json({ message: UNSIGNED });
              return;
            }
            if (!request.headers['content-type']) {
              response.status(415).json({
                message:
                  'Missing Content-Type: GitHub webhooks must be sent as application/json',
              });
              return;
            }
            next();
          },
        );
        ingress.addHttpPostIngress({
          topic: 'github',
          validator: async (request, context) => {
            if (
              isValidGithubSignature(
                secrets,
                request.raw.body,
                request.headers['x-hub-signature-256'],
              )
            ) {
              return;
            }
            logger.warn(
              `Rejected GitHub webhook delivery ${
                header(request.headers['x-github-delivery']) || '(no id)'
              } (event ${
                header(request.headers['x-github-event']) || 'unknown'
              }): ${
                request.headers['x-hub-signature-256']
                  ? 'X-Hub-Signature-256 does not match the webhook secret'
                  : 'no X-Hub-Signature-256 header'
              }`,
            );
            context.reject({ status: 401, payload: { message: UNSIGNED } });
          },
        });
        await new GithubEventRouter({ events }).subscribe();
      },
    });
  },
});
