import { ConfigReader } from '@backstage/config';
import {
  normalizeGroupName,
  oktaGroupsToEntityRefs,
  readOktaGroupMapping,
} from './groups';

const mapping = (groups?: object) =>
  readOktaGroupMapping(
    new ConfigReader(groups ? { portal: { okta: { groups } } } : {}),
  );

describe('Okta groups to ownership references', () => {
  it('maps every group by default, normalising names', () => {
    expect(
      oktaGroupsToEntityRefs(
        ['Platform Team', 'payments-team', 'Everyone'],
        mapping(),
      ),
    ).toEqual([
      'group:default/platform-team',
      'group:default/payments-team',
      'group:default/everyone',
    ]);
  });

  it('keeps only groups with the prefix, and strips it unless told not to', () => {
    const groups = [
      'backstage-web-team',
      'Everyone',
      'backstage-Portal Admins',
    ];
    expect(
      oktaGroupsToEntityRefs(groups, mapping({ prefix: 'backstage-' })),
    ).toEqual(['group:default/web-team', 'group:default/portal-admins']);
    expect(
      oktaGroupsToEntityRefs(
        groups,
        mapping({ prefix: 'backstage-', stripPrefix: false }),
      ),
    ).toEqual([
      'group:default/backstage-web-team',
      'group:default/backstage-portal-admins',
    ]);
  });

  it('applies the explicit map before the prefix filter', () => {
    const m = mapping({
      prefix: 'backstage-',
      map: [
        { okta: 'Engineering Leads', group: 'engineering' },
        { okta: 'SRE', group: 'group:ops/SRE' },
      ],
    });
    expect(
      oktaGroupsToEntityRefs(['Engineering Leads', 'SRE', 'Other'], m),
    ).toEqual(['group:default/engineering', 'group:ops/sre']);
  });

  it('refuses a map entry that is not a group', () => {
    expect(() =>
      mapping({ map: [{ okta: 'X', group: 'user:default/x' }] }),
    ).toThrow(
      "portal.okta.groups.map entry 'X': 'user:default/x' is a user, not a group",
    );
  });

  it('treats a claim that is not a list of strings as no groups', () => {
    expect(oktaGroupsToEntityRefs('admins', mapping())).toEqual([]);
    expect(oktaGroupsToEntityRefs(undefined, mapping())).toEqual([]);
    expect(oktaGroupsToEntityRefs([42, 'ok', '', '***'], mapping())).toEqual([
      'group:default/ok',
    ]);
  });

  it('normalises names to what entity names allow', () => {
    expect(normalizeGroupName('  Ünïcode & Co. ')).toBe('n-code-co');
    expect(normalizeGroupName('a'.repeat(70))).toHaveLength(63);
  });
});
