import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { Config, ConfigReader } from '@backstage/config';
import {
  AuthProviderFactory,
  authProvidersExtensionPoint,
  commonSignInResolvers,
  createOAuthProviderFactory,
} from '@backstage/plugin-auth-node';
import { oktaSignInResolvers } from '@backstage/plugin-auth-backend-module-okta-provider';
import {
  createPortalOktaAuthenticator,
  DEFAULT_PROBE_CACHE_MS,
} from './authenticator';
import {
  createStartRateLimitMiddleware,
  readStartRateLimit,
} from './rateLimit';
import { readPortalOktaOptions, resolveOktaUser } from './resolver';

/**
 * How long the refresh-token cookie (the session a reload signs in with)
 * lasts when `auth.providers.okta.<env>.sessionDuration` is not set; Backstage
 * itself would keep it 1,000 days.
 */
export const DEFAULT_SESSION_DURATION = { days: 7 };

/**
 * The provider config (`auth.providers.okta`: one entry per auth environment)
 * with `sessionDuration` defaulted in each environment that does not set it.
 */
export function withDefaultSessionDuration(providerConfig: Config): Config {
  const envs = providerConfig.keys();
  if (envs.every(env => providerConfig.has(`${env}.sessionDuration`))) {
    return providerConfig;
  }
  const data: Record<string, unknown> = {};
  for (const env of envs) {
    const envConfig = providerConfig.getConfig(env);
    data[env] = envConfig.has('sessionDuration')
      ? envConfig.get()
      : {
          ...envConfig.get<Record<string, never>>(),
          sessionDuration: DEFAULT_SESSION_DURATION,
        };
  }
  return new ConfigReader(data as any, 'auth.providers.okta');
}

/** `portal.okta.reachabilityCacheSeconds` in milliseconds. */
export function readProbeCacheMs(config: Config): number {
  const seconds = config.getOptionalNumber(
    'portal.okta.reachabilityCacheSeconds',
  );
  if (seconds === undefined) return DEFAULT_PROBE_CACHE_MS;
  if (!Number.isFinite(seconds) || seconds < 0) {
    throw new Error(
      `portal.okta.reachabilityCacheSeconds: must be 0 or more, not ${seconds}`,
    );
  }
  return seconds * 1000;
}

/**
 * The `okta` sign-in provider of the portal (replaces Backstage's
 * `authModuleOktaProvider`, whose authenticator it reuses), and the rate
 * limit on every provider's `/api/auth/<provider>/start`.
 */
export const authModulePortalOkta = createBackendModule({
  pluginId: 'auth',
  moduleId: 'portal-okta',
  register(reg) {
    reg.registerInit({
      deps: {
        providers: authProvidersExtensionPoint,
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        httpRouter: coreServices.httpRouter,
      },
      async init({ providers, config, logger, httpRouter }) {
        const options = readPortalOktaOptions(config);
        // Modules initialise before their plugin: this runs ahead of the
        // auth backend's own routes.
        httpRouter.use(
          createStartRateLimitMiddleware(
            readStartRateLimit(config),
            logger,
          ) as Parameters<typeof httpRouter.use>[0],
        );
        const factory = createOAuthProviderFactory({
          authenticator: createPortalOktaAuthenticator({
            probeCacheMs: readProbeCacheMs(config),
          }),
          // Used unless auth.providers.okta.<env>.signIn.resolvers lists
          // Backstage's own resolvers (which know nothing of Okta groups).
          signInResolver: (info, ctx) => resolveOktaUser(info, ctx, options),
          signInResolverFactories: {
            ...oktaSignInResolvers,
            ...commonSignInResolvers,
          },
        });
        const withSessionDefault: AuthProviderFactory = factoryOptions =>
          factory({
            ...factoryOptions,
            config: withDefaultSessionDuration(factoryOptions.config),
          });
        providers.registerProvider({
          providerId: 'okta',
          factory: withSessionDefault,
        });
      },
    });
  },
});
