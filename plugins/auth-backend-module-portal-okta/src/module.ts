import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import {
  authProvidersExtensionPoint,
  commonSignInResolvers,
  createOAuthProviderFactory,
} from '@backstage/plugin-auth-node';
import { oktaSignInResolvers } from '@backstage/plugin-auth-backend-module-okta-provider';
import { portalOktaAuthenticator } from './authenticator';
import { readOktaGroupMapping } from './groups';
import { createPortalOktaResolverFactory } from './resolver';

/**
 * The `okta` sign-in provider of the portal (replaces Backstage's
 * `authModuleOktaProvider`, whose authenticator it reuses).
 */
export const authModulePortalOkta = createBackendModule({
  pluginId: 'auth',
  moduleId: 'portal-okta',
  register(reg) {
    reg.registerInit({
      deps: {
        providers: authProvidersExtensionPoint,
        config: coreServices.rootConfig,
      },
      async init({ providers, config }) {
        const groups = readOktaGroupMapping(config);
        providers.registerProvider({
          providerId: 'okta',
          factory: createOAuthProviderFactory({
            authenticator: portalOktaAuthenticator,
            signInResolverFactories: {
              portalCatalogUser: createPortalOktaResolverFactory(groups),
              ...(oktaSignInResolvers as any),
              ...commonSignInResolvers,
            },
          }),
        });
      },
    });
  },
});
