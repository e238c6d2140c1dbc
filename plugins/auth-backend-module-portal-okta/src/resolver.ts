import { stringifyEntityRef } from '@backstage/catalog-model';
import { AuthenticationError, NotAllowedError } from '@backstage/errors';
import { Config } from '@backstage/config';
import {
  AuthResolverCatalogUserQuery,
  AuthResolverContext,
  OAuthAuthenticatorResult,
  SignInInfo,
} from '@backstage/plugin-auth-node';
import { OktaPortalProfile } from './authenticator';
import {
  normalizeGroupName,
  OktaGroupMapping,
  oktaGroupsToEntityRefs,
  readOktaGroupMapping,
} from './groups';

/** Ways to find the catalog User for an Okta e-mail, tried in the configured order. */
export const userMatchers = {
  /** A User whose `spec.profile.email` is the e-mail. */
  profileEmail: (email: string): AuthResolverCatalogUserQuery => ({
    filter: { kind: 'User', 'spec.profile.email': email },
  }),
  /** A User with the annotation `okta.com/email: <e-mail>`. */
  oktaEmailAnnotation: (email: string): AuthResolverCatalogUserQuery => ({
    annotations: { 'okta.com/email': email },
  }),
  /** A User named like the local part of the e-mail (`ada.lovelace@…`). */
  emailLocalPart: (email: string): AuthResolverCatalogUserQuery => ({
    entityRef: { kind: 'User', name: email.split('@')[0] },
  }),
};
export type UserMatcher = keyof typeof userMatchers;
/** The local part alone says nothing about who owns the address, so it is opt-in (with allowedDomains). */
export const defaultUserMatch: UserMatcher[] = [
  'profileEmail',
  'oktaEmailAnnotation',
];

export interface PortalOktaResolverOptions {
  match: UserMatcher[];
  /** Domains whose addresses emailLocalPart may match (lower case). */
  allowedDomains: string[];
  /** Let users the catalog does not know in, with an identity from Okta alone. */
  allowUsersNotInCatalog: boolean;
  groups: OktaGroupMapping;
}

export type OktaSignInInfo = SignInInfo<
  OAuthAuthenticatorResult<OktaPortalProfile>
>;

/**
 * Signs an Okta user in as a catalog User and adds their Okta groups to the
 * ownership references of the Backstage token.
 */
export async function resolveOktaUser(
  info: OktaSignInInfo,
  ctx: AuthResolverContext,
  options: PortalOktaResolverOptions,
) {
  const okta = info.result.fullProfile.okta;
  const email = okta?.email;
  if (!email) {
    throw new AuthenticationError(
      `Okta sent no e-mail address for user ${
        okta?.subject ?? 'unknown'
      }; the portal's Okta app must grant the email scope.`,
    );
  }
  if (okta.emailVerified === false) {
    // An unverified address could be anybody's: never match a user by it.
    throw new AuthenticationError(
      `Okta reports the e-mail address ${email} as unverified; verify it in Okta, then sign in again.`,
    );
  }
  const groupRefs = oktaGroupsToEntityRefs(okta.groups, options.groups);

  const domain = email.split('@')[1]?.toLocaleLowerCase('en-US') ?? '';
  for (const matcher of options.match) {
    if (
      matcher === 'emailLocalPart' &&
      !options.allowedDomains.includes(domain)
    ) {
      continue; // bob@elsewhere.example is not our bob
    }
    let entity;
    try {
      ({ entity } = await ctx.findCatalogUser(userMatchers[matcher](email)));
    } catch (error) {
      if ((error as Error)?.name === 'NotFoundError') continue;
      throw error;
    }
    const { ownershipEntityRefs } = await ctx.resolveOwnershipEntityRefs(
      entity,
    );
    return ctx.issueToken({
      claims: {
        sub: stringifyEntityRef(entity),
        ent: unique([...ownershipEntityRefs, ...groupRefs]),
      },
    });
  }

  if (options.allowUsersNotInCatalog) {
    const name = normalizeGroupName(email.split('@')[0]);
    const sub = `user:default/${name}`;
    // Never hand out the identity of a User that exists (and owns things).
    const taken = await ctx
      .findCatalogUser({ entityRef: sub })
      .then(() => true)
      .catch(error => {
        if ((error as Error)?.name === 'NotFoundError') return false;
        throw error;
      });
    if (taken) {
      throw new NotAllowedError(
        `${email} matches no catalog User by e-mail, and the name ${sub} belongs to another User; ask the platform team to add you to the catalog.`,
      );
    }
    return ctx.issueToken({
      claims: { sub, ent: unique([sub, ...groupRefs]) },
    });
  }
  // Not a NotFoundError: the auth backend would replace the message with a
  // generic one and try further resolvers; this refusal is final.
  throw new NotAllowedError(
    `${email} is not a user of this portal: no User in the catalog matches this e-mail (tried ${options.match.join(
      ', ',
    )}). Ask the platform team to add you to the catalog.`,
  );
}

function unique(values: string[]) {
  return [...new Set(values)];
}

/**
 * Reads `portal.okta` (user matching, opt-in) and `portal.okta.groups`.
 * An unknown matcher name is a configuration error that names it.
 */
export function readPortalOktaOptions(
  config: Config,
): PortalOktaResolverOptions {
  const match =
    config.getOptionalStringArray('portal.okta.userMatch') ?? defaultUserMatch;
  const unknown = match.filter(m => !Object.hasOwn(userMatchers, m));
  if (unknown.length > 0 || match.length === 0) {
    throw new Error(
      `portal.okta.userMatch: ${
        unknown.length > 0 ? `unknown matcher ${unknown.join(', ')}` : 'empty'
      }; use some of ${Object.keys(userMatchers).join(', ')}`,
    );
  }
  const allowedDomains = (
    config.getOptionalStringArray('portal.okta.allowedDomains') ?? []
  ).map(d => d.toLocaleLowerCase('en-US'));
  if (match.includes('emailLocalPart') && allowedDomains.length === 0) {
    throw new Error(
      'portal.okta.userMatch: emailLocalPart needs portal.okta.allowedDomains (the e-mail domains whose local part is a catalog user name)',
    );
  }
  return {
    match: match as UserMatcher[],
    allowedDomains,
    allowUsersNotInCatalog:
      config.getOptionalBoolean(
        'portal.okta.dangerouslyAllowSignInWithoutUserInCatalog',
      ) ?? false,
    groups: readOktaGroupMapping(config),
  };
}
