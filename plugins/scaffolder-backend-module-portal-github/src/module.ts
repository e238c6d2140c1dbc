import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import {
  DefaultGithubCredentialsProvider,
  ScmIntegrations,
} from '@backstage/integration';
import { createPublishGithubAction } from '@backstage/plugin-scaffolder-backend-module-github';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import { createPortalPublishGithubAction } from './action';
import { readRepositorySettings } from './settings';

/**
 * Scaffolder module: the `portal:publish:github` action, which creates
 * repositories with the organisation's settings from app-config.
 */
export const scaffolderModulePortalGithub = createBackendModule({
  pluginId: 'scaffolder',
  moduleId: 'portal-github',
  register(env) {
    env.registerInit({
      deps: {
        config: coreServices.rootConfig,
        scaffolder: scaffolderActionsExtensionPoint,
      },
      async init({ config, scaffolder }) {
        const integrations = ScmIntegrations.fromConfig(config);
        const publish = createPublishGithubAction({
          integrations,
          config,
          githubCredentialsProvider:
            DefaultGithubCredentialsProvider.fromIntegrations(integrations),
        });
        scaffolder.addActions(
          createPortalPublishGithubAction({
            integrations,
            settings: readRepositorySettings(config),
            publish,
          }),
        );
      },
    });
  },
});
