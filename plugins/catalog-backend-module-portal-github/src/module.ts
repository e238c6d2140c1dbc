import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { githubOrgEntityProviderTransformsExtensionPoint } from '@backstage/plugin-catalog-backend-module-github-org';
import {
  createPortalUserTransformer,
  readPortalGithubUserOptions,
} from './userTransformer';

/**
 * Catalog module: GitHub org members become Users carrying the e-mail Okta
 * sign-in matches on (see {@link pickUserEmail}). Plugs into the upstream
 * GitHub org provider's transformer extension point.
 */
export const catalogModulePortalGithubUsers = createBackendModule({
  pluginId: 'catalog',
  moduleId: 'portal-github-users',
  register(env) {
    env.registerInit({
      deps: {
        config: coreServices.rootConfig,
        transforms: githubOrgEntityProviderTransformsExtensionPoint,
      },
      async init({ config, transforms }) {
        transforms.setUserTransformer(
          createPortalUserTransformer(readPortalGithubUserOptions(config)),
        );
      },
    });
  },
});
