import { oktaAuthenticator } from '@backstage/plugin-auth-backend-module-okta-provider';
import {
  createOAuthAuthenticator,
  OAuthAuthenticatorResult,
  PassportProfile,
} from '@backstage/plugin-auth-node';
import {
  createOktaIdTokenVerifier,
  IdTokenVerifier,
  oktaEndpoints,
} from './idToken';

/** What the portal knows about an Okta user after the ID token was verified. */
export interface OktaIdentity {
  /** Okta user id (`sub`). */
  subject: string;
  email?: string;
  /** Okta's `email_verified`; undefined when Okta does not say. */
  emailVerified?: boolean;
  name?: string;
  /** The raw `groups` claim (mapped to Backstage groups by the resolver). */
  groups: unknown;
}

export type OktaPortalProfile = PassportProfile & { okta: OktaIdentity };

type Helper = ReturnType<typeof oktaAuthenticator.initialize>;

interface Context {
  helper: Helper;
  verifyIdToken: IdTokenVerifier;
  callbackUrl: string;
  /** Undefined when Okta can be reached, else why not (cached, shared). */
  probe: () => Promise<string | undefined>;
}

const PROBE_TIMEOUT_MS = 3000;
/** How long a successful reachability probe is trusted by default. */
export const DEFAULT_PROBE_CACHE_MS = 60_000;

export interface PortalOktaAuthenticatorOptions {
  /**
   * How long Okta counts as reachable after a probe got an answer
   * (`portal.okta.reachabilityCacheSeconds`); 0 probes on every start.
   */
  probeCacheMs?: number;
  /** The clock (tests). */
  now?: () => number;
}

/**
 * Combines the verified ID token with the user info Okta returned: the token
 * is the authority; user info fills gaps (Okta omits claims from ID tokens of
 * the org authorization server, and refresh responses may carry no ID token).
 */
function toIdentity(
  result: OAuthAuthenticatorResult<PassportProfile>,
  claims: Record<string, unknown> | undefined,
): OktaIdentity {
  const userInfo = ((result.fullProfile as any)._json ?? {}) as Record<
    string,
    unknown
  >;
  const pick = (key: string) => {
    const value = claims?.[key] ?? userInfo[key];
    return typeof value === 'string' && value ? value : undefined;
  };
  return {
    subject: pick('sub') ?? result.fullProfile.id,
    email: pick('email') ?? result.fullProfile.emails?.[0]?.value ?? undefined,
    emailVerified: [claims?.email_verified, userInfo.email_verified].find(
      (v): v is boolean => typeof v === 'boolean',
    ),
    name: pick('name') ?? result.fullProfile.displayName,
    groups: claims?.groups ?? userInfo.groups,
  };
}

/**
 * Okta sign-in: Backstage's Okta authenticator (the Okta passport strategy)
 * plus what the portal needs on top of it:
 *   - the `groups` scope is always requested;
 *   - the ID token is verified (signature from Okta's keys, issuer, audience =
 *     our client id, expiry) before anyone is signed in;
 *   - an unreachable Okta is reported on the sign-in page instead of leaving
 *     the user at a browser error in the pop-up. The probe (Okta's discovery
 *     document) is shared by concurrent starts and, once Okta answered, not
 *     repeated for `probeCacheMs`, so unauthenticated starts cannot make the
 *     portal call Okta once each.
 */
export function createPortalOktaAuthenticator(
  options: PortalOktaAuthenticatorOptions = {},
) {
  const cacheMs = options.probeCacheMs ?? DEFAULT_PROBE_CACHE_MS;
  const now = options.now ?? Date.now;
  return createOAuthAuthenticator<Context, OktaPortalProfile>({
    defaultProfileTransform: oktaAuthenticator.defaultProfileTransform,
    scopes: {
      required: [...(oktaAuthenticator.scopes?.required ?? []), 'groups'],
    },
    initialize({ callbackUrl, config }) {
      const helper = oktaAuthenticator.initialize({ callbackUrl, config });
      const server = {
        audience: config.getOptionalString('audience') ?? 'https://okta.com',
        authServerId: config.getOptionalString('authServerId'),
      };
      return {
        helper,
        verifyIdToken: createOktaIdTokenVerifier(
          server,
          config.getString('clientId'),
        ),
        callbackUrl,
        probe: cachedProbe(oktaEndpoints(server).discoveryUrl, cacheMs, now),
      };
    },
    async start(input, ctx) {
      const problem = await ctx.probe();
      if (problem) {
        // Back to our own callback with an OAuth error: the callback answers
        // the pop-up with this message, which the sign-in page shows.
        const url = new URL(ctx.callbackUrl);
        url.searchParams.set('error', 'temporarily_unavailable');
        url.searchParams.set(
          'error_description',
          `Okta cannot be reached (${problem}). Try again in a moment; if you are signed in already, you stay signed in.`,
        );
        url.searchParams.set('state', input.state);
        return { url: url.toString() };
      }
      return oktaAuthenticator.start(input, ctx.helper);
    },
    async authenticate(input, ctx) {
      const result = await oktaAuthenticator.authenticate(input, ctx.helper);
      const claims = await ctx.verifyIdToken(result.session.idToken);
      return {
        ...result,
        fullProfile: {
          ...result.fullProfile,
          okta: toIdentity(result, claims),
        },
      };
    },
    async refresh(input, ctx) {
      const result = await oktaAuthenticator.refresh(input, ctx.helper);
      // Okta sends a new ID token on refresh when the openid scope was granted;
      // if it does, it must verify like the first one.
      const claims = result.session.idToken
        ? await ctx.verifyIdToken(result.session.idToken)
        : undefined;
      return {
        ...result,
        fullProfile: {
          ...result.fullProfile,
          okta: toIdentity(result, claims),
        },
      };
    },
  });
}

/** The authenticator with the default probe cache. */
export const portalOktaAuthenticator = createPortalOktaAuthenticator();

/**
 * A probe of `url` whose answer "reachable" is kept for `cacheMs`, and that
 * runs at most once at a time (concurrent callers share it). Failures are not
 * kept: the next start probes again.
 */
export function cachedProbe(
  url: string,
  cacheMs: number,
  now: () => number = Date.now,
): () => Promise<string | undefined> {
  let reachableUntil = -Infinity;
  let inFlight: Promise<string | undefined> | undefined;
  return () => {
    if (now() < reachableUntil) return Promise.resolve(undefined);
    if (!inFlight) {
      inFlight = probe(url).then(problem => {
        inFlight = undefined;
        if (!problem) reachableUntil = now() + cacheMs;
        return problem;
      });
    }
    return inFlight;
  };
}

/**
 * Undefined when Okta answers its discovery document with any HTTP status
 * (a 429 or 5xx is Okta throttling or struggling, not absent: the user may
 * still get through), else why not (connection refused, DNS, TLS, timeout).
 */
async function probe(url: string): Promise<string | undefined> {
  try {
    const res = await fetch(url, {
      signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
    });
    await res.body?.cancel();
    return undefined;
  } catch (error) {
    const cause = (error as any)?.cause?.code ?? (error as Error).name;
    return `${new URL(url).origin}: ${cause}`;
  }
}
