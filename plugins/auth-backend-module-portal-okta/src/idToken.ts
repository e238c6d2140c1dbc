import { AuthenticationError } from '@backstage/errors';
import {
  createRemoteJWKSet,
  errors as joseErrors,
  JWTPayload,
  JWTVerifyGetKey,
  jwtVerify,
} from 'jose';

/** Where an Okta authorization server publishes its tokens and keys. */
export interface OktaServer {
  /** Okta org URL, e.g. https://acme.okta.com (config `audience`). */
  audience: string;
  /** Custom authorization server id (config `authServerId`); none = org server. */
  authServerId?: string;
}

/** The issuer of ID tokens and the URL of the signing keys, as Okta lays them out. */
export function oktaEndpoints(server: OktaServer) {
  const org = server.audience.replace(/\/+$/, '');
  const base = server.authServerId
    ? `${org}/oauth2/${server.authServerId}`
    : `${org}/oauth2`;
  return {
    issuer: server.authServerId ? base : org,
    jwksUrl: `${base}/v1/keys`,
    discoveryUrl: server.authServerId
      ? `${base}/.well-known/openid-configuration`
      : `${org}/.well-known/openid-configuration`,
  };
}

/** Claims of a verified Okta ID token that the portal uses. */
export type OktaIdTokenClaims = JWTPayload & {
  email?: string;
  name?: string;
  groups?: unknown;
};

export type IdTokenVerifier = (
  idToken: string | undefined,
) => Promise<OktaIdTokenClaims>;

/**
 * Verifies an Okta ID token: signature against the server's keys, issuer,
 * audience (our client id) and expiry. Anything else is refused with an
 * AuthenticationError that says which check failed.
 */
export function createIdTokenVerifier(options: {
  issuer: string;
  clientId: string;
  /** The key set; by default fetched (and cached) from the server's jwks URL. */
  keys: JWTVerifyGetKey;
  clockToleranceSeconds?: number;
}): IdTokenVerifier {
  const { issuer, clientId, keys, clockToleranceSeconds = 60 } = options;
  return async idToken => {
    if (!idToken) {
      throw new AuthenticationError(
        'Okta returned no ID token; the Okta app must allow the openid scope',
      );
    }
    try {
      const { payload } = await jwtVerify(idToken, keys, {
        issuer,
        audience: clientId,
        clockTolerance: clockToleranceSeconds,
      });
      return payload;
    } catch (error) {
      throw new AuthenticationError(describeFailure(error, issuer, clientId));
    }
  };
}

/** A verifier that fetches Okta's keys over HTTPS (5 s timeout, cached by jose). */
export function createOktaIdTokenVerifier(
  server: OktaServer,
  clientId: string,
) {
  const { issuer, jwksUrl } = oktaEndpoints(server);
  return createIdTokenVerifier({
    issuer,
    clientId,
    keys: createRemoteJWKSet(new URL(jwksUrl), { timeoutDuration: 5000 }),
  });
}

function describeFailure(
  error: unknown,
  issuer: string,
  clientId: string,
): string {
  if (error instanceof joseErrors.JWTExpired) {
    return 'The Okta ID token has expired';
  }
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === 'aud') {
      return `The Okta ID token was issued for another application (expected audience ${clientId})`;
    }
    if (error.claim === 'iss') {
      return `The Okta ID token comes from another issuer (expected ${issuer})`;
    }
    return `The Okta ID token has an invalid '${error.claim}' claim`;
  }
  if (
    error instanceof joseErrors.JWSSignatureVerificationFailed ||
    error instanceof joseErrors.JWSInvalid ||
    error instanceof joseErrors.JWTInvalid ||
    error instanceof joseErrors.JWKSNoMatchingKey
  ) {
    return 'The Okta ID token is not validly signed by Okta';
  }
  const message = error instanceof Error ? error.message : String(error);
  return `The Okta ID token could not be verified: ${message}`;
}
