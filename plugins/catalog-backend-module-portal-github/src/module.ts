import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { githubOrgEntityProviderTransformsExtensionPoint } from '@backstage/plugin-catalog-backend-module-github-org';
import { eventsServiceRef } from '@backstage/plugin-events-node';
import {
  NewRepositorySync,
  readDiscoveryTasks,
  readNewRepositorySyncTiming,
} from './newRepositories';
import {
  createPortalUserTransformer,
  readPortalGithubUserOptions,
} from './userTransformer';

/**
 * Catalog module completing upstream's GitHub providers:
 * - org members become Users carrying the e-mail Okta sign-in matches on
 *   (see {@link pickUserEmail}), through the org provider's transformer
 *   extension point;
 * - a `repository.created` webhook starts repository discovery shortly after
 *   (see {@link NewRepositorySync}); upstream ignores that event.
 */
export const catalogModulePortalGithub = createBackendModule({
  pluginId: 'catalog',
  moduleId: 'portal-github',
  register(env) {
    env.registerInit({
      deps: {
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        lifecycle: coreServices.lifecycle,
        scheduler: coreServices.scheduler,
        events: eventsServiceRef,
        transforms: githubOrgEntityProviderTransformsExtensionPoint,
      },
      async init({ config, logger, lifecycle, scheduler, events, transforms }) {
        transforms.setUserTransformer(
          createPortalUserTransformer(readPortalGithubUserOptions(config)),
        );

        const tasks = readDiscoveryTasks(config);
        if (tasks.size === 0) return;
        const sync = new NewRepositorySync({
          scheduler,
          logger,
          tasks,
          ...readNewRepositorySyncTiming(config),
        });
        lifecycle.addShutdownHook(() => sync.stop());
        await events.subscribe({
          id: 'portal-github-new-repositories',
          topics: ['github.repository'],
          async onEvent(params) {
            sync.onRepositoryEvent(params.eventPayload as any);
          },
        });
      },
    });
  },
});
