/*
 * Guest sign-in is for local development and the demo layer of the tests.
 * Upstream's guest provider module refuses sign-ins outside development by
 * itself, but only at request time: loaded, it still registers
 * /api/auth/guest/* in production. This loader decides at start-up, from the
 * root config and NODE_ENV, whether the module is loaded at all; in
 * production (NODE_ENV=production) it is not, unless the configuration
 * explicitly asks for it (`auth.providers.guest.dangerouslyAllowOutsideDevelopment`,
 * which only examples/app-config.demo.yaml sets).
 */
import {
  BackendFeature,
  coreServices,
  createBackendFeatureLoader,
} from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';

export interface GuestSignInDecision {
  load: boolean;
  /** Why, for the start-up log. */
  reason: string;
}

/**
 * Whether the guest provider module is loaded: only when
 * `auth.providers.guest` is configured, and then either outside production
 * (`nodeEnv` is not `production`) or with
 * `auth.providers.guest.dangerouslyAllowOutsideDevelopment: true`.
 */
export function guestSignInDecision(
  config: Config,
  nodeEnv: string | undefined,
): GuestSignInDecision {
  const guest = config.getOptionalConfig('auth.providers.guest');
  if (!guest) {
    return { load: false, reason: 'auth.providers.guest is not configured' };
  }
  if (nodeEnv !== 'production') {
    return {
      load: true,
      reason: `NODE_ENV is ${nodeEnv ?? 'unset'}, not production`,
    };
  }
  // A `${VAR}` substitution could give a string; only a real `true` counts.
  if (guest.getOptional('dangerouslyAllowOutsideDevelopment') === true) {
    return {
      load: true,
      reason:
        'NODE_ENV is production but auth.providers.guest.dangerouslyAllowOutsideDevelopment is true',
    };
  }
  return {
    load: false,
    reason:
      'NODE_ENV is production and auth.providers.guest.dangerouslyAllowOutsideDevelopment is not true',
  };
}

export interface GuestSignInOptions {
  /** Default: process.env.NODE_ENV when the backend starts. */
  nodeEnv?: () => string | undefined;
  /** Default: the upstream guest provider module. */
  load?: () => Promise<{ default: BackendFeature }>;
}

/** A feature loader that adds the guest provider module or nothing. */
export function createGuestSignInFeature(
  options: GuestSignInOptions = {},
): BackendFeature {
  const nodeEnv = options.nodeEnv ?? (() => process.env.NODE_ENV);
  const load =
    options.load ??
    (() => import('@backstage/plugin-auth-backend-module-guest-provider'));
  return createBackendFeatureLoader({
    deps: { config: coreServices.rootConfig, logger: coreServices.rootLogger },
    *loader({ config, logger }) {
      const { load: on, reason } = guestSignInDecision(config, nodeEnv());
      if (!on) {
        logger.info(`Guest sign-in module not loaded: ${reason}`);
        return;
      }
      logger.info(`Guest sign-in module loaded: ${reason}`);
      yield load();
    },
  });
}

/** Guest sign-in for local use and the demo layer; see createGuestSignInFeature. */
export const portalGuestSignIn = createGuestSignInFeature();
