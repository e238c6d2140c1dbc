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

/**
 * A resolver context over a small catalog, recording the token it issues and
 * the queries it got. `ownership` stands in for the catalog's memberships.
 */
function context(
  catalog: Entity[],
  ownership: (entity: Entity) => string[] = entity => [
    `user:default/${entity.metadata.name}`,
    'group:default/payments-team',
  ],
) {
  const issued: any[] = [];
  const queries: any[] = [];
  const ctx: AuthResolverContext = {
    async findCatalogUser(query: any) {
      queries.push(query);
      const found = catalog.filter(e => {
        if ('filter' in query)
          return (
            e.spec?.profile &&
            // The catalog compares values case-insensitively.
            (e.spec.profile as any).email?.toLowerCase() ===
              query.filter['spec.profile.email'].toLowerCase()
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
      return { ownershipEntityRefs: ownership(entity) };
    },
    async issueToken(params: any) {
      issued.push(params.claims);
      return { token: 'issued' };
    },
    async signInWithCatalogUser() {
      throw new Error('not used');
    },
  };
  return { ctx, issued, queries };
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
  roles: { adminGroup: 'Portal Admins' },
  ...extra,
});

const catalog = [
  user('alan.turing', {}, 'alan@acme.example'),
  user('tim', { annotations: { 'okta.com/email': 'tim@okta.acme.example' } }),
  user('katherine.johnson'),
];

describe('resolveOktaUser', () => {
  it('matches the profile e-mail and adds Okta groups (okta namespace) and roles', async () => {
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
          'group:okta/portal-admins',
          'group:okta/payments-team',
          'role:portal/member',
          'role:portal/admin',
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
        ent: [
          'user:default/stranger.danger',
          'group:okta/web-team',
          'role:portal/member',
        ],
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

describe('the token: catalog references, Okta groups and roles', () => {
  const prefixed = () =>
    options({
      groups: readOktaGroupMapping(
        new ConfigReader({
          portal: { okta: { groups: { prefix: 'portal-' } } },
        }),
      ),
      roles: {
        adminGroup: 'Portal Admins',
        templateAuthorGroup: 'Template Authors',
      },
    });
  const entOf = async (groups: unknown, ownership?: string[]) => {
    const { ctx, issued } = context(
      catalog,
      ownership ? () => ownership : undefined,
    );
    await resolveOktaUser(
      info({ email: 'alan@acme.example', groups }),
      ctx,
      prefixed(),
    );
    return issued[0].ent as string[];
  };

  it('a GitHub team named Portal Admins gives ownership, not the admin role', async () => {
    // tim's Okta groups: web-team only; GitHub made him a member of the
    // catalog group portal-admins.
    const ent = await entOf(
      ['portal-web-team'],
      ['user:default/alan.turing', 'group:default/portal-admins'],
    );
    expect(ent).toEqual([
      'user:default/alan.turing',
      'group:default/portal-admins',
      'group:okta/web-team',
      'role:portal/member',
    ]);
    expect(ent).not.toContain('role:portal/admin');
  });

  it('only the exact admin group name gives the admin role', async () => {
    expect(await entOf(['PORTAL ADMINS!'])).not.toContain('role:portal/admin');
    expect(await entOf(['portal admins'])).not.toContain('role:portal/admin');
    expect(await entOf(['portal-Portal Admins'])).not.toContain(
      'role:portal/admin',
    );
    // It need not pass the prefix, and alone it makes no member.
    expect(await entOf(['Portal Admins'])).toEqual([
      'user:default/alan.turing',
      'group:default/payments-team',
      'role:portal/admin',
    ]);
  });

  it('the template author group gives its role by exact name', async () => {
    expect(await entOf(['Template Authors'])).toContain(
      'role:portal/template-author',
    );
    expect(await entOf(['template authors'])).not.toContain(
      'role:portal/template-author',
    );
  });

  it('Everyone (or any group the mapping ignores) makes no member', async () => {
    const ent = await entOf(['Everyone', 'web-team']);
    expect(ent).toEqual([
      'user:default/alan.turing',
      'group:default/payments-team',
    ]);
    // Not even without a prefix.
    const { ctx, issued } = context(catalog);
    await resolveOktaUser(
      info({ email: 'alan@acme.example', groups: ['Everyone'] }),
      ctx,
      options(),
    );
    expect(issued[0].ent).not.toContain('role:portal/member');
  });

  it('drops catalog references that are roles, Okta-namespace groups or other kinds', async () => {
    const ent = await entOf(
      ['portal-web-team'],
      [
        'user:default/alan.turing',
        'role:portal/admin',
        'Role:Portal/Member',
        'group:okta/portal-admins',
        'group:OKTA/web-team',
        'user:okta/alan.turing',
        'component:default/storefront-web',
        'group:default/payments-team',
        'not a reference::',
      ],
    );
    expect(ent).toEqual([
      'user:default/alan.turing',
      'group:default/payments-team',
      'group:okta/web-team',
      'role:portal/member',
    ]);
  });

  it('refuses a claim that is no list of strings as no groups and no roles', async () => {
    expect(await entOf('Portal Admins')).toEqual([
      'user:default/alan.turing',
      'group:default/payments-team',
    ]);
  });
});

describe('the e-mail is checked before the catalog is asked', () => {
  const attack = 'x@acme.example,spec.profile.email=ada.lovelace@acme.example';

  it('refuses the filter-injection address without a catalog query and without repeating it', async () => {
    const ada = user('ada.lovelace', {}, 'ada.lovelace@acme.example');
    const { ctx, issued, queries } = context([...catalog, ada]);
    const refusal = resolveOktaUser(
      info({ subject: '00u1', email: attack, groups: ['Portal Admins'] }),
      ctx,
      options({ allowUsersNotInCatalog: true }),
    );
    await expect(refusal).rejects.toThrow(NotAllowedError);
    await expect(refusal).rejects.toThrow(
      'Okta sent an e-mail address for user 00u1 that the portal does not accept',
    );
    const message = await refusal.catch(e => e.message);
    expect(message).not.toContain('spec.profile');
    expect(message).not.toContain('ada.lovelace');
    expect(queries).toEqual([]);
    expect(issued).toEqual([]);
  });

  it.each([
    ['two @', 'a@b@acme.example'],
    ['a space', 'ada lovelace@acme.example'],
    ['a quote', '"ada"@acme.example'],
    ['an apostrophe', "o'brien@acme.example"],
    ['an equals sign', 'a=b@acme.example'],
    ['a control character', 'ada\n@acme.example'],
    ['markup', '<script>@acme.example'],
    ['a slash', 'x/ada@acme.example'],
    ['no domain dot', 'ada@localhost'],
    ['too long', `${'a'.repeat(65)}@acme.example`],
    ['way too long', `a@${'b'.repeat(250)}.example`],
    ['dots at the edge', '.ada@acme.example'],
  ])('refuses an address with %s', async (_, email) => {
    const { ctx, queries } = context(catalog);
    await expect(
      resolveOktaUser(info({ subject: '<b>', email }), ctx, options()),
    ).rejects.toThrow(
      'Okta sent an e-mail address for user unknown that the portal does not accept',
    );
    expect(queries).toEqual([]);
  });

  it('accepts plain addresses', async () => {
    const { ctx, issued } = context([
      user('jo', {}, 'Jo.Doe+portal@Mail.Acme-Corp.example'),
    ]);
    await resolveOktaUser(
      info({ email: 'jo.doe+portal@mail.acme-corp.example' }),
      ctx,
      options({ match: ['profileEmail'] }),
    );
    expect(issued.map(c => c.sub)).toEqual(['user:default/jo']);
  });

  it('refuses when the catalog answers with a User that does not carry the e-mail', async () => {
    const ada = user('ada.lovelace', {}, 'ada.lovelace@acme.example');
    // A catalog that answers any query with Ada (as a broken filter would).
    const { ctx, issued } = context([ada]);
    ctx.findCatalogUser = async () => ({ entity: ada });
    for (const matcher of [
      'profileEmail',
      'oktaEmailAnnotation',
      'emailLocalPart',
    ]) {
      await expect(
        resolveOktaUser(
          info({ email: 'x@acme.example' }),
          ctx,
          options({ match: [matcher] }),
        ),
      ).rejects.toThrow(
        `x@acme.example cannot sign in: the catalog User found by ${matcher} does not carry this e-mail`,
      );
    }
    expect(issued).toEqual([]);
  });
});

describe('production needs a group prefix or map', () => {
  const read = (okta: object) =>
    readPortalOktaOptions(
      new ConfigReader({
        auth: { environment: 'production' },
        portal: { okta, authorization: { adminGroup: 'Portal Admins' } },
      }),
    );

  it('refuses to start without either, saying why', () => {
    for (const groups of [undefined, {}, { prefix: '' }, { map: [] }]) {
      expect(() => read(groups ? { groups } : {})).toThrow(
        /^portal\.okta\.groups: production needs a prefix \(OKTA_GROUP_PREFIX\) or map entries\. Without either, every Okta group a user is in would count .* portal member \(role:portal\/member\)/,
      );
    }
  });

  it('starts with a prefix or a map, and reads the role groups', () => {
    expect(read({ groups: { prefix: 'portal-' } }).roles).toEqual({
      adminGroup: 'Portal Admins',
      templateAuthorGroup: undefined,
    });
    expect(
      read({ groups: { map: [{ okta: 'SRE', group: 'sre' }] } }).groups.map
        .size,
    ).toBe(1);
  });

  it('does not apply outside production', () => {
    expect(() => readPortalOktaOptions(new ConfigReader({}))).not.toThrow();
  });
});
