import { ConfigReader } from '@backstage/config';
import {
  isGroupMappingRestricted,
  normalizeGroupName,
  oktaGroupToEntityRef,
  oktaGroupsToEntityRefs,
  readOktaGroupMapping,
} from './groups';

const mapping = (groups?: object) =>
  readOktaGroupMapping(
    new ConfigReader(groups ? { portal: { okta: { groups } } } : {}),
  );

describe('Okta groups to ownership references', () => {
  it('without a prefix maps every group but Everyone, into the okta namespace', () => {
    expect(
      oktaGroupsToEntityRefs(
        ['Platform Team', 'payments-team', 'Everyone'],
        mapping(),
      ),
    ).toEqual(['group:okta/platform-team', 'group:okta/payments-team']);
    expect(isGroupMappingRestricted(mapping())).toBe(false);
  });

  it('keeps only groups with the prefix, and strips it unless told not to', () => {
    const groups = [
      'backstage-web-team',
      'Everyone',
      'backstage-Portal Admins',
    ];
    const m = mapping({ prefix: 'backstage-' });
    expect(oktaGroupsToEntityRefs(groups, m)).toEqual([
      'group:okta/web-team',
      'group:okta/portal-admins',
    ]);
    expect(isGroupMappingRestricted(m)).toBe(true);
    expect(
      oktaGroupsToEntityRefs(
        groups,
        mapping({ prefix: 'backstage-', stripPrefix: false }),
      ),
    ).toEqual([
      'group:okta/backstage-web-team',
      'group:okta/backstage-portal-admins',
    ]);
  });

  it('uses the configured namespace, and refuses default or a bad name', () => {
    expect(
      oktaGroupToEntityRef(
        'p-web',
        mapping({ prefix: 'p-', namespace: 'idp' }),
      ),
    ).toBe('group:idp/web');
    expect(() => mapping({ namespace: 'default' })).toThrow(
      "portal.okta.groups.namespace: 'default' is the catalog's own namespace",
    );
    expect(() => mapping({ namespace: 'Okta Groups' })).toThrow(
      "portal.okta.groups.namespace: 'Okta Groups' is not a namespace name",
    );
  });

  it('applies the explicit map before the prefix filter, with the stated reference', () => {
    const m = mapping({
      prefix: 'backstage-',
      map: [
        { okta: 'Engineering Leads', group: 'engineering' },
        { okta: 'SRE', group: 'group:ops/SRE' },
        { okta: 'Everyone', group: 'all-staff' },
      ],
    });
    expect(
      oktaGroupsToEntityRefs(
        ['Engineering Leads', 'SRE', 'Other', 'Everyone'],
        m,
      ),
    ).toEqual([
      'group:default/engineering',
      'group:ops/sre',
      'group:default/all-staff',
    ]);
    expect(
      isGroupMappingRestricted(mapping({ map: [{ okta: 'a', group: 'b' }] })),
    ).toBe(true);
  });

  it('refuses a map entry that is not a group', () => {
    expect(() =>
      mapping({ map: [{ okta: 'X', group: 'user:default/x' }] }),
    ).toThrow(
      "portal.okta.groups.map entry 'X': 'user:default/x' is a user, not a group",
    );
    expect(() =>
      mapping({ map: [{ okta: 'X', group: 'role:portal/admin' }] }),
    ).toThrow('is a role, not a group');
  });

  it('treats a claim that is not a list of strings as no groups', () => {
    expect(oktaGroupsToEntityRefs('admins', mapping())).toEqual([]);
    expect(oktaGroupsToEntityRefs(undefined, mapping())).toEqual([]);
    expect(oktaGroupsToEntityRefs([42, 'ok', '', '***'], mapping())).toEqual([
      'group:okta/ok',
    ]);
  });

  it('normalises names to what entity names allow', () => {
    expect(normalizeGroupName('  Ünïcode & Co. ')).toBe('n-code-co');
    expect(normalizeGroupName('a'.repeat(70))).toHaveLength(63);
  });
});
