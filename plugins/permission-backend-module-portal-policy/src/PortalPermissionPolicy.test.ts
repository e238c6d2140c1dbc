import { mockCredentials } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import {
  catalogEntityCreatePermission,
  catalogEntityDeletePermission,
  catalogEntityReadPermission,
  catalogEntityRefreshPermission,
  catalogLocationDeletePermission,
} from '@backstage/plugin-catalog-common/alpha';
import { permissionRules } from '@backstage/plugin-catalog-backend/alpha';
import {
  AuthorizeResult,
  createPermission,
  PermissionCondition,
  PermissionCriteria,
  PolicyDecision,
} from '@backstage/plugin-permission-common';
import { PortalPermissionPolicy } from './PortalPermissionPolicy';

const users: Record<string, string[]> = {
  'user:default/ada': ['user:default/ada', 'group:default/portal-admins'],
  'user:default/alan': ['user:default/alan', 'group:default/payments-team'],
  'user:default/loner': ['user:default/loner'],
};

const policy = new PortalPermissionPolicy({
  adminGroupRef: 'group:default/Portal-Admins',
  userInfo: {
    async getUserInfo(credentials: any) {
      const ref = credentials.principal.userEntityRef;
      return { userEntityRef: ref, ownershipEntityRefs: users[ref] };
    },
  },
});

const decide = (permission: any, user?: string) =>
  policy.handle(
    { permission },
    user
      ? { credentials: mockCredentials.user(user), info: {} as any }
      : undefined,
  );

/** Evaluates a conditional decision against an entity with the catalog's own rules. */
function holds(
  criteria: PermissionCriteria<PermissionCondition<'catalog-entity'>>,
  entity: Entity,
): boolean {
  if ('anyOf' in criteria) return criteria.anyOf.some(c => holds(c, entity));
  if ('allOf' in criteria) return criteria.allOf.every(c => holds(c, entity));
  if ('not' in criteria) return !holds(criteria.not, entity);
  const rule = Object.values(permissionRules).find(
    r => r.name === criteria.rule,
  );
  if (!rule) throw new Error(`unknown rule ${criteria.rule}`);
  return rule.apply(entity, criteria.params as any);
}

function allowedOn(decision: PolicyDecision, entity: Entity): boolean {
  if (decision.result === AuthorizeResult.CONDITIONAL) {
    return holds(decision.conditions as any, entity);
  }
  return decision.result === AuthorizeResult.ALLOW;
}

const service = (owner: string): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'payments-service' },
  spec: { type: 'service', owner },
  relations: [{ type: 'ownedBy', targetRef: owner }],
});
const template = (allowedGroups?: string[]): Entity => ({
  apiVersion: 'scaffolder.backstage.io/v1beta3',
  kind: 'Template',
  metadata: { name: 'restricted' },
  spec: { type: 'service', ...(allowedGroups && { allowedGroups }) },
});

describe('PortalPermissionPolicy', () => {
  it('denies when there is no user', async () => {
    expect(await decide(catalogEntityReadPermission)).toEqual({
      result: AuthorizeResult.DENY,
    });
  });

  it('lets every signed-in user read entities', async () => {
    for (const user of Object.keys(users)) {
      expect(
        allowedOn(
          await decide(catalogEntityReadPermission, user),
          service('group:default/payments-team'),
        ),
      ).toBe(true);
    }
  });

  it('lets owners and admins refresh and delete an entity, nobody else', async () => {
    for (const permission of [
      catalogEntityRefreshPermission,
      catalogEntityDeletePermission,
    ]) {
      const owned = service('group:default/payments-team');
      const other = service('group:default/web-team');
      expect(
        allowedOn(await decide(permission, 'user:default/alan'), owned),
      ).toBe(true);
      expect(
        allowedOn(await decide(permission, 'user:default/alan'), other),
      ).toBe(false);
      expect(
        allowedOn(await decide(permission, 'user:default/loner'), owned),
      ).toBe(false);
      expect(await decide(permission, 'user:default/ada')).toEqual({
        result: AuthorizeResult.ALLOW,
      });
    }
  });

  it('lets group members and admins register entities; deleting locations is for admins', async () => {
    const result = async (permission: any, user: string) =>
      (await decide(permission, user)).result;
    expect(
      await result(catalogEntityCreatePermission, 'user:default/alan'),
    ).toBe(AuthorizeResult.ALLOW);
    expect(
      await result(catalogEntityCreatePermission, 'user:default/loner'),
    ).toBe(AuthorizeResult.DENY);
    expect(
      await result(catalogLocationDeletePermission, 'user:default/alan'),
    ).toBe(AuthorizeResult.DENY);
    expect(
      await result(catalogLocationDeletePermission, 'user:default/ada'),
    ).toBe(AuthorizeResult.ALLOW);
  });

  it('shows a template with spec.allowedGroups only to those groups and admins', async () => {
    const read = (user: string) => decide(catalogEntityReadPermission, user);
    expect(
      allowedOn(await read('user:default/alan'), template(['payments-team'])),
    ).toBe(true);
    expect(
      allowedOn(
        await read('user:default/alan'),
        template(['group:default/payments-team']),
      ),
    ).toBe(true);
    expect(
      allowedOn(await read('user:default/alan'), template(['web-team'])),
    ).toBe(false);
    expect(
      allowedOn(await read('user:default/loner'), template(['web-team'])),
    ).toBe(false);
    expect(allowedOn(await read('user:default/loner'), template())).toBe(true);
    expect(
      allowedOn(await read('user:default/ada'), template(['web-team'])),
    ).toBe(true);
  });

  it('decides unlisted permissions by action: read for all, changes for admins', async () => {
    const read = createPermission({
      name: 'x.thing.read',
      attributes: { action: 'read' },
    });
    const update = createPermission({
      name: 'x.thing.update',
      attributes: { action: 'update' },
    });
    expect((await decide(read, 'user:default/loner')).result).toBe(
      AuthorizeResult.ALLOW,
    );
    expect((await decide(update, 'user:default/alan')).result).toBe(
      AuthorizeResult.DENY,
    );
    expect((await decide(update, 'user:default/ada')).result).toBe(
      AuthorizeResult.ALLOW,
    );
  });

  it('lets everyone run the scaffolder', async () => {
    const create = createPermission({
      name: 'scaffolder.task.create',
      attributes: { action: 'create' },
    });
    expect((await decide(create, 'user:default/loner')).result).toBe(
      AuthorizeResult.ALLOW,
    );
  });
});
