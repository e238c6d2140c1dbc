import { Entity } from '@backstage/catalog-model';
import { NotAllowedError, NotFoundError } from '@backstage/errors';
import { AuthResolverContext } from '@backstage/plugin-auth-node';
import { readOktaGroupMapping } from './groups';
import { ConfigReader } from '@backstage/config';
import {
  defaultUserMatch,
  readPortalOktaOptions,
  resolveOktaUser,
} from './resolver';

const user = (
  name: string,
  extra: Partial<Entity['metadata']> = {},
  email?: string,
): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'User',
  metadata: { name, ...extra },
  spec: { profile: email ? { email } : {}, memberOf: ['payments-team'] },
});

/** A resolver context over a small catalog, recording the token it issues. */
function context(catalog: Entity[]) {
  const issued: any[] = [];
  const ctx: AuthResolverContext = {
    async findCatalogUser(query: any) {
      const found = catalog.filter(e => {
        if ('filter' in query)
          return (
            e.spec?.profile &&
            (e.spec.profile as any).email === query.filter['spec.profile.email']
          );
        if ('annotations' in query)
          return Object.entries(query.annotations).every(
            ([k, v]) => e.metadata.annotations?.[k] === v,
          );
        const ref = query.entityRef;
        const name = typeof ref === 'string' ? ref.split('/').pop() : ref.name;
        return e.kind === 'User' && e.metadata.name === name;
      });
      if (found.length === 0) throw new NotFoundError('User not found');
      return { entity: found[0] };
    },
    async resolveOwnershipEntityRefs(entity: Entity) {
      return {
        ownershipEntityRefs: [
          `user:default/${entity.metadata.name}`,
          'group:default/payments-team',
        ],
      };
    },
    async issueToken(params: any) {
      issued.push(params.claims);
      return { token: 'issued' };
    },
    async signInWithCatalogUser() {
      throw new Error('not used');
    },
  };
  return { ctx, issued };
}

const info = (okta: object) =>
  ({
    profile: {},
    result: { fullProfile: { okta }, session: {} },
  } as any);

const options = (extra: object = {}) => ({
  match: [...defaultUserMatch, 'emailLocalPart'] as any,
  allowedDomains: ['acme.example'],
  allowUsersNotInCatalog: false,
  groups: readOktaGroupMapping(new ConfigReader({})),
  ...extra,
});

const catalog = [
  user('alan.turing', {}, 'alan@acme.example'),
  user('tim', { annotations: { 'okta.com/email': 'tim@okta.acme.example' } }),
  user('katherine.johnson'),
];

describe('resolveOktaUser', () => {
  it('matches the profile e-mail and adds Okta groups to the ownership references', async () => {
    const { ctx, issued } = context(catalog);
    await resolveOktaUser(
      info({
        email: 'alan@acme.example',
        groups: ['Portal Admins', 'payments-team'],
      }),
      ctx,
      options(),
    );
    expect(issued).toEqual([
      {
        sub: 'user:default/alan.turing',
        ent: [
          'user:default/alan.turing',
          'group:default/payments-team',
          'group:default/portal-admins',
        ],
      },
    ]);
  });

  it('falls back to the okta.com/email annotation, then to the local part', async () => {
    const { ctx, issued } = context(catalog);
    await resolveOktaUser(
      info({ email: 'tim@okta.acme.example' }),
      ctx,
      options(),
    );
    await resolveOktaUser(
      info({ email: 'katherine.johnson@ACME.example' }),
      ctx,
      options(),
    );
    expect(issued.map(c => c.sub)).toEqual([
      'user:default/tim',
      'user:default/katherine.johnson',
    ]);
  });

  it('matches the local part only for the allowed domains', async () => {
    const { ctx, issued } = context(catalog);
    await expect(
      resolveOktaUser(
        info({ email: 'katherine.johnson@contractor.example' }),
        ctx,
        options(),
      ),
    ).rejects.toThrow('is not a user of this portal');
    expect(issued).toEqual([]);
  });

  it('never lets the opt-in hand out the name of an existing User', async () => {
    const { ctx, issued } = context(catalog);
    await expect(
      resolveOktaUser(
        info({ email: 'tim@contractor.example' }),
        ctx,
        options({ allowUsersNotInCatalog: true }),
      ),
    ).rejects.toThrow(
      'tim@contractor.example matches no catalog User by e-mail, and the name user:default/tim belongs to another User',
    );
    expect(issued).toEqual([]);
  });

  it('tries only the configured matchers, in their order', async () => {
    const { ctx } = context(catalog);
    await expect(
      resolveOktaUser(
        info({ email: 'katherine.johnson@acme.example' }),
        ctx,
        options({ match: ['profileEmail'] }),
      ),
    ).rejects.toThrow(
      'katherine.johnson@acme.example is not a user of this portal: no User in the catalog matches this e-mail (tried profileEmail)',
    );
  });

  it('refuses a user the catalog does not know, unless the opt-in is on', async () => {
    const { ctx, issued } = context(catalog);
    const stranger = info({
      email: 'Stranger.Danger@acme.example',
      groups: ['web-team'],
    });
    await expect(resolveOktaUser(stranger, ctx, options())).rejects.toThrow(
      NotAllowedError,
    );
    expect(issued).toEqual([]);
    await resolveOktaUser(
      stranger,
      ctx,
      options({ allowUsersNotInCatalog: true }),
    );
    expect(issued).toEqual([
      {
        sub: 'user:default/stranger.danger',
        ent: ['user:default/stranger.danger', 'group:default/web-team'],
      },
    ]);
  });

  it('refuses an e-mail that Okta marks as unverified', async () => {
    const { ctx, issued } = context(catalog);
    await expect(
      resolveOktaUser(
        info({ email: 'alan@acme.example', emailVerified: false }),
        ctx,
        options(),
      ),
    ).rejects.toThrow(
      'Okta reports the e-mail address alan@acme.example as unverified',
    );
    expect(issued).toEqual([]);
    await resolveOktaUser(
      info({ email: 'alan@acme.example', emailVerified: true }),
      ctx,
      options(),
    );
    expect(issued.map(c => c.sub)).toEqual(['user:default/alan.turing']);
  });

  it('refuses a profile without an e-mail, even with the opt-in', async () => {
    const { ctx, issued } = context(catalog);
    await expect(
      resolveOktaUser(
        info({ subject: '00u9' }),
        ctx,
        options({ allowUsersNotInCatalog: true }),
      ),
    ).rejects.toThrow('Okta sent no e-mail address for user 00u9');
    expect(issued).toEqual([]);
  });
});

describe('readPortalOktaOptions', () => {
  it('defaults to the e-mail matchers, opt-in off', () => {
    const read = readPortalOktaOptions(new ConfigReader({}));
    expect(read.match).toEqual(['profileEmail', 'oktaEmailAnnotation']);
    expect(read.allowUsersNotInCatalog).toBe(false);
  });

  it('reads the order and the opt-in', () => {
    const read = readPortalOktaOptions(
      new ConfigReader({
        portal: {
          okta: {
            userMatch: ['emailLocalPart'],
            allowedDomains: ['Acme.com'],
            dangerouslyAllowSignInWithoutUserInCatalog: true,
          },
        },
      }),
    );
    expect(read.match).toEqual(['emailLocalPart']);
    expect(read.allowedDomains).toEqual(['acme.com']);
    expect(read.allowUsersNotInCatalog).toBe(true);
  });

  it('wants allowedDomains with emailLocalPart, and no prototype names', () => {
    expect(() =>
      readPortalOktaOptions(
        new ConfigReader({
          portal: { okta: { userMatch: ['emailLocalPart'] } },
        }),
      ),
    ).toThrow('emailLocalPart needs portal.okta.allowedDomains');
    expect(() =>
      readPortalOktaOptions(
        new ConfigReader({ portal: { okta: { userMatch: ['toString'] } } }),
      ),
    ).toThrow('unknown matcher toString');
  });

  it('names an unknown matcher', () => {
    expect(() =>
      readPortalOktaOptions(
        new ConfigReader({
          portal: { okta: { userMatch: ['profileEmail', 'byPhone'] } },
        }),
      ),
    ).toThrow(
      'portal.okta.userMatch: unknown matcher byPhone; use some of profileEmail, oktaEmailAnnotation, emailLocalPart',
    );
  });
});
