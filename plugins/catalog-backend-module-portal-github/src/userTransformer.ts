import { Config } from '@backstage/config';
import {
  buildDefaultUserTransformer,
  GithubUser,
  TransformerContext,
  UserTransformer,
} from '@backstage/plugin-catalog-backend-module-github';

export interface PortalGithubUserOptions {
  /**
   * The organisation's e-mail domains (the ones Okta sign-in uses). A
   * verified-domain address in one of them is preferred, and a public profile
   * address outside them is ignored. Empty: any.
   */
  emailDomains?: readonly string[];
  /** Explicit GitHub login -> e-mail, for members GitHub shows no address for. */
  emails?: Readonly<Record<string, string>>;
}

export type EmailSource = 'configured' | 'verified-domain' | 'public-profile';

const domainOf = (email: string) =>
  email.slice(email.lastIndexOf('@') + 1).toLowerCase();

/**
 * The e-mail a GitHub member's catalog User carries, which Okta sign-in
 * matches on, in this order: the platform team's explicit mapping
 * (`portal.github.userEmails`), an address on one of the organisation's
 * verified domains (GitHub's `organizationVerifiedDomainEmails`, `+tags`
 * removed; one in `emailDomains` first), the member's public profile address
 * (only a personal access token can read it; only within `emailDomains`).
 */
export function pickUserEmail(
  user: GithubUser,
  options: PortalGithubUserOptions = {},
): { email: string; source: EmailSource } | undefined {
  const domains = (options.emailDomains ?? []).map(d => d.toLowerCase());
  const inDomains = (email: string) =>
    domains.length === 0 || domains.includes(domainOf(email));

  const configured = options.emails?.[user.login];
  if (configured) {
    return { email: configured, source: 'configured' };
  }
  const verified = (user.organizationVerifiedDomainEmails ?? []).map(e =>
    e.replace(/\+[^@]*@/, '@'),
  );
  const preferred = verified.find(inDomains) ?? verified[0];
  if (preferred) {
    return { email: preferred, source: 'verified-domain' };
  }
  if (user.email && inDomains(user.email)) {
    return { email: user.email, source: 'public-profile' };
  }
  return undefined;
}

/** Reads `portal.github.userEmails` and `portal.github.emailDomains`
 * (default: `portal.okta.allowedDomains`). */
export function readPortalGithubUserOptions(
  config: Config,
): PortalGithubUserOptions {
  const emails: Record<string, string> = {};
  const map = config.getOptionalConfig('portal.github.userEmails');
  for (const login of map?.keys() ?? []) {
    const email = map!.getString(login);
    if (!/^[^@\s]+@[^@\s]+$/.test(email)) {
      throw new Error(
        `portal.github.userEmails.${login} must be an e-mail address, got '${email}'`,
      );
    }
    emails[login] = email;
  }
  return {
    emails,
    emailDomains:
      config.getOptionalStringArray('portal.github.emailDomains') ??
      config.getOptionalStringArray('portal.okta.allowedDomains') ??
      [],
  };
}

const USER_EMAILS_QUERY = `
  query portalUserEmails($login: String!, $org: String!) {
    user(login: $login) {
      email
      organizationVerifiedDomainEmails(login: $org)
    }
  }`;

/**
 * Webhook events (a member added to the organisation or a team) hand the
 * transformer the user from the event payload, without verified-domain
 * e-mails and usually without the public profile e-mail; the User would then
 * replace the stored one without its e-mail. Both are asked from GitHub here
 * (GitHub answers an empty `email` where the credentials may not see it). A
 * failure propagates, so the event fails and the stored User is kept.
 */
async function withEmailsFromGithub(
  user: GithubUser,
  ctx: TransformerContext | undefined,
): Promise<GithubUser> {
  if (user.organizationVerifiedDomainEmails !== undefined || !ctx?.client) {
    return user;
  }
  const response: {
    user?: {
      email?: string | null;
      organizationVerifiedDomainEmails?: string[];
    } | null;
  } = await ctx.client(USER_EMAILS_QUERY, {
    login: user.login,
    org: ctx.org,
  });
  return {
    ...user,
    email: user.email || response.user?.email || undefined,
    organizationVerifiedDomainEmails:
      response.user?.organizationVerifiedDomainEmails ?? [],
  };
}

/**
 * Upstream's user transformer (name = login, display name, picture, GitHub
 * annotations) with the e-mail picked by {@link pickUserEmail}.
 */
export function createPortalUserTransformer(
  options: PortalGithubUserOptions,
): UserTransformer {
  const base = buildDefaultUserTransformer();
  return async (received, ctx) => {
    const user = await withEmailsFromGithub(received, ctx);
    const entity = await base(user, ctx);
    if (!entity || entity.kind !== 'User') {
      return entity;
    }
    const spec = (entity.spec ?? {}) as { profile?: { email?: string } };
    const picked = pickUserEmail(user, options);
    spec.profile = { ...spec.profile };
    if (picked) {
      spec.profile.email = picked.email;
    } else {
      delete spec.profile.email;
    }
    entity.spec = spec as typeof entity.spec;
    return entity;
  };
}
