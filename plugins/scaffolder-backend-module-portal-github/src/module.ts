import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import {
  DefaultGithubCredentialsProvider,
  ScmIntegrations,
} from '@backstage/integration';
import {
  createPublishGithubAction,
  getOctokitOptions,
} from '@backstage/plugin-scaffolder-backend-module-github';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import {
  createPortalPublishGithubAction,
  readBranchProtection,
} from './action';
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
        const credentialsProvider =
          DefaultGithubCredentialsProvider.fromIntegrations(integrations);
        const publish = createPublishGithubAction({
          integrations,
          config,
          githubCredentialsProvider: credentialsProvider,
          requireScmUserCredentials:
            config.getOptionalBoolean('scaffolder.requireScmUserCredentials') ??
            false,
        });
        scaffolder.addActions(
          createPortalPublishGithubAction({
            integrations,
            settings: readRepositorySettings(config),
            publish,
            readProtection: async ({ host, owner, repo, branch }) => {
              const { auth, baseUrl } = await getOctokitOptions({
                integrations,
                credentialsProvider,
                host,
                owner,
                repo,
              });
              return readBranchProtection(
                baseUrl ?? 'https://api.github.com',
                String(auth),
                { owner, repo, branch },
              );
            },
          }),
        );
      },
    });
  },
});
