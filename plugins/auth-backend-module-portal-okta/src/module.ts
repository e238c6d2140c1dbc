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
import { readPortalOktaOptions, resolveOktaUser } from './resolver';

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
        const options = readPortalOktaOptions(config);
        providers.registerProvider({
          providerId: 'okta',
          factory: createOAuthProviderFactory({
            authenticator: portalOktaAuthenticator,
            // Used unless auth.providers.okta.<env>.signIn.resolvers lists
            // Backstage's own resolvers (which know nothing of Okta groups).
            signInResolver: (info, ctx) => resolveOktaUser(info, ctx, options),
            signInResolverFactories: {
              ...oktaSignInResolvers,
              ...commonSignInResolvers,
            },
          }),
        });
      },
    });
  },
});
