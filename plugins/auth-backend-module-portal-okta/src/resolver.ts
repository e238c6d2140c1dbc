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
import { entityHasEmail, isPlainEmail, printable } from './email';
import {
  PortalRoleGroups,
  readPortalRoleGroups,
  tokenEntitlements,
} from './entitlements';
import {
  isGroupMappingRestricted,
  normalizeGroupName,
  OktaGroupMapping,
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
  /** The Okta groups that make admins and template authors (exact names). */
  roles: PortalRoleGroups;
}

export type OktaSignInInfo = SignInInfo<
  OAuthAuthenticatorResult<OktaPortalProfile>
>;

/**
 * Signs an Okta user in as a catalog User. The token's `ent` holds the
 * catalog's user and group references (outside the Okta namespace), the Okta
 * groups `portal.okta.groups` maps, and the portal roles from the verified
 * `groups` claim (`entitlements.ts`).
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
      `Okta sent no e-mail address for user ${printable(
        okta?.subject,
      )}; the portal's Okta app must grant the email scope.`,
    );
  }
  if (!isPlainEmail(email)) {
    // Checked before any catalog query, and not repeated back: the value
    // could be built to break the filter or the page that shows the reason.
    throw new NotAllowedError(
      `Okta sent an e-mail address for user ${printable(
        okta.subject,
      )} that the portal does not accept: it must be a plain address (one @; letters, digits and . _ % + - before it; a domain name after it; no spaces, commas, = or quotes). Ask your Okta administrator to correct the address.`,
    );
  }
  if (okta.emailVerified === false) {
    // An unverified address could be anybody's: never match a user by it.
    throw new AuthenticationError(
      `Okta reports the e-mail address ${email} as unverified; verify it in Okta, then sign in again.`,
    );
  }
  const entitlements = (catalogRefs: string[]) =>
    tokenEntitlements({
      catalogRefs,
      groupsClaim: okta.groups,
      mapping: options.groups,
      roleGroups: options.roles,
    });

  const domain = email.split('@')[1].toLocaleLowerCase('en-US');
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
    if (!entityHasEmail(entity, matcher, email)) {
      // The catalog answered, but not with this e-mail's User: refuse
      // rather than sign in as whoever it was.
      throw new NotAllowedError(
        `${email} cannot sign in: the catalog User found by ${matcher} does not carry this e-mail. Ask the platform team to check the catalog.`,
      );
    }
    const { ownershipEntityRefs } = await ctx.resolveOwnershipEntityRefs(
      entity,
    );
    return ctx.issueToken({
      claims: {
        sub: stringifyEntityRef(entity),
        ent: entitlements(ownershipEntityRefs),
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
      claims: { sub, ent: entitlements([sub]) },
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

/**
 * Reads `portal.okta` (user matching, opt-in), `portal.okta.groups` and the
 * role groups of `portal.authorization`. An unknown matcher name is a
 * configuration error that names it; so is production
 * (`auth.environment: production`) without a group prefix or map.
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
  const groups = readOktaGroupMapping(config);
  if (
    config.getOptionalString('auth.environment') === 'production' &&
    !isGroupMappingRestricted(groups)
  ) {
    throw new Error(
      'portal.okta.groups: production needs a prefix (OKTA_GROUP_PREFIX) or map entries. Without either, every Okta group a user is in would count (all groups of the Okta org; only the built-in Everyone is left out): each would become an ownership reference and make the user a portal member (role:portal/member), who may register entities.',
    );
  }
  return {
    match: match as UserMatcher[],
    allowedDomains,
    allowUsersNotInCatalog:
      config.getOptionalBoolean(
        'portal.okta.dangerouslyAllowSignInWithoutUserInCatalog',
      ) ?? false,
    groups,
    roles: readPortalRoleGroups(config),
  };
}
