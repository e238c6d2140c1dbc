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
import { ConfigReader } from '@backstage/config';
import {
  actionExecutePermission,
  taskCancelPermission,
  taskReadPermission,
} from '@backstage/plugin-scaffolder-common/alpha';
import { scaffolderTaskConditions } from '@backstage/plugin-scaffolder-backend/alpha';
import { PortalPermissionPolicy, rolesOf } from './PortalPermissionPolicy';
import { readGuestRoles } from './module';

const users: Record<string, string[]> = {
  // Admin by the verified Okta claim (the resolver issued the role).
  'user:default/ada': ['user:default/ada', 'role:portal/admin'],
  'user:default/alan': [
    'user:default/alan',
    'group:default/payments-team',
    'role:portal/member',
  ],
  'user:default/loner': ['user:default/loner'],
  // In a GitHub team named like the admin group, and in catalog groups, but
  // in no mapped Okta group: no role at all.
  'user:default/mallory': [
    'user:default/mallory',
    'group:default/portal-admins',
    'group:default/web-team',
  ],
  'user:default/author': ['user:default/author', 'role:portal/template-author'],
  'user:default/guest': ['user:default/guest', 'group:default/guests'],
};

const policy = new PortalPermissionPolicy({
  guest: { userEntityRef: 'user:default/guest', roles: ['member'] },
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

describe('PortalPermissionPolicy roles', () => {
  const result = async (permission: any, user: string) =>
    (await decide(permission, user)).result;

  it('never makes a catalog group (a GitHub team named like the admin group) admin or member', async () => {
    expect(
      await result(catalogLocationDeletePermission, 'user:default/mallory'),
    ).toBe(AuthorizeResult.DENY);
    expect(
      await result(catalogEntityCreatePermission, 'user:default/mallory'),
    ).toBe(AuthorizeResult.DENY);
    // Ownership through the catalog group still counts, nothing more.
    const decision = await decide(
      catalogEntityDeletePermission,
      'user:default/mallory',
    );
    expect(allowedOn(decision, service('group:default/web-team'))).toBe(true);
    expect(allowedOn(decision, service('group:default/payments-team'))).toBe(
      false,
    );
    expect(
      allowedOn(
        await decide(catalogEntityReadPermission, 'user:default/mallory'),
        template(['platform-team']),
      ),
    ).toBe(false);
  });

  it('reads roles only from role references', () => {
    expect([
      ...rolesOf([
        'group:default/portal-admins',
        'group:okta/admin',
        'ROLE:portal/Member',
      ]),
    ]).toEqual(['member']);
  });

  it('lets only template authors and admins dry-run', async () => {
    const dryRun = createPermission({
      name: 'scaffolder.template.dry-run',
      attributes: {},
    });
    expect(await result(dryRun, 'user:default/alan')).toBe(
      AuthorizeResult.DENY,
    );
    expect(await result(dryRun, 'user:default/mallory')).toBe(
      AuthorizeResult.DENY,
    );
    expect(await result(dryRun, 'user:default/author')).toBe(
      AuthorizeResult.ALLOW,
    );
    expect(await result(dryRun, 'user:default/ada')).toBe(
      AuthorizeResult.ALLOW,
    );
  });

  it("limits task reads and cancels to the task's creator; admins see all", async () => {
    for (const permission of [taskReadPermission, taskCancelPermission]) {
      const decision = await decide(permission, 'user:default/alan');
      expect(decision).toEqual(
        expect.objectContaining({
          result: AuthorizeResult.CONDITIONAL,
          conditions: scaffolderTaskConditions.isTaskOwner({
            createdBy: ['user:default/alan'],
          }),
        }),
      );
      expect(await result(permission, 'user:default/ada')).toBe(
        AuthorizeResult.ALLOW,
      );
    }
  });

  it("runs upstream's fetch and publish actions for admins only", async () => {
    const decision = await decide(actionExecutePermission, 'user:default/alan');
    expect(decision.result).toBe(AuthorizeResult.CONDITIONAL);
    const criteria = (decision as any).conditions;
    const allowed = (action: string) =>
      criteria.anyOf.some((c: any) => c.params.actionId === action);
    for (const action of [
      'portal:fetch:template',
      'portal:publish:github',
      'catalog:register',
    ]) {
      expect(allowed(action)).toBe(true);
    }
    for (const action of [
      'fetch:plain',
      'fetch:plain:file',
      'fetch:template',
      'publish:github',
      'publish:github:pull-request',
      'github:repo:push',
    ]) {
      expect(allowed(action)).toBe(false);
    }
    expect(await result(actionExecutePermission, 'user:default/ada')).toBe(
      AuthorizeResult.ALLOW,
    );
  });

  it('lets only admins publish public repositories', async () => {
    const publicRepo = createPermission({
      name: 'portal.scaffolder.repository.public',
      attributes: { action: 'create' },
    });
    expect(await result(publicRepo, 'user:default/alan')).toBe(
      AuthorizeResult.DENY,
    );
    expect(await result(publicRepo, 'user:default/ada')).toBe(
      AuthorizeResult.ALLOW,
    );
  });

  it('gives the guest its configured roles', async () => {
    expect(
      await result(catalogEntityCreatePermission, 'user:default/guest'),
    ).toBe(AuthorizeResult.ALLOW);
    expect(
      await result(catalogLocationDeletePermission, 'user:default/guest'),
    ).toBe(AuthorizeResult.DENY);
  });
});

describe('readGuestRoles', () => {
  const config = (guest: object, roles?: string[]) =>
    new ConfigReader({
      auth: { providers: { guest } },
      portal: { authorization: { guestRoles: roles } },
    });
  it('applies only where guest sign-in is on', () => {
    const local = config({ userEntityRef: 'user:default/guest' }, ['member']);
    expect(readGuestRoles(local, 'development')).toEqual({
      userEntityRef: 'user:default/guest',
      roles: ['member'],
    });
    expect(readGuestRoles(local, 'production')).toBeUndefined();
    expect(
      readGuestRoles(
        config(
          {
            userEntityRef: 'user:default/guest',
            dangerouslyAllowOutsideDevelopment: true,
          },
          ['member'],
        ),
        'production',
      ),
    ).toBeDefined();
  });
  it('refuses an unknown role', () => {
    expect(() =>
      readGuestRoles(
        config({ userEntityRef: 'user:default/guest' }, ['root']),
        'development',
      ),
    ).toThrow('portal.authorization.guestRoles: unknown role root');
  });
});
