import {
  AuthorizeResult,
  isResourcePermission,
  PermissionCondition,
  PermissionCriteria,
  PolicyDecision,
} from '@backstage/plugin-permission-common';
import {
  PermissionPolicy,
  PolicyQuery,
  PolicyQueryUser,
} from '@backstage/plugin-permission-node';
import {
  catalogConditions,
  createCatalogConditionalDecision,
} from '@backstage/plugin-catalog-backend/alpha';
import {
  createScaffolderActionConditionalDecision,
  createScaffolderTaskConditionalDecision,
  scaffolderActionConditions,
  scaffolderTaskConditions,
} from '@backstage/plugin-scaffolder-backend/alpha';
import { parseEntityRef } from '@backstage/catalog-model';
import { UserInfoService } from '@backstage/backend-plugin-api';
import {
  PortalRole,
  portalRoleRefs,
} from '@internal/backstage-plugin-auth-backend-module-portal-okta';

/** Spec field of a Template that limits who may see and run it. */
export const TEMPLATE_ALLOWED_GROUPS_FIELD = 'allowedGroups';

/** Who gets a permission. */
export type Grant =
  /** every signed-in user */
  | 'everyone'
  /** users in at least one mapped Okta group (role member), and admins */
  | 'members'
  /** the entity's owners (a condition the catalog applies) and admins */
  | 'owners'
  /** the task's creator (a condition the scaffolder applies) and admins */
  | 'taskOwners'
  /** template authors (role template-author) and admins */
  | 'templateAuthors'
  /** the scaffolder actions in `userScaffolderActions` for everyone; all for admins */
  | 'userActions'
  /** admins only */
  | 'admins';

/**
 * The rules, by permission name. Unlisted permissions: `read` actions (and
 * permissions without an action) for everyone, anything else for admins.
 */
export const portalGrants: Record<string, Grant> = {
  'catalog.entity.read': 'everyone',
  'catalog.entity.validate': 'everyone',
  'catalog.location.read': 'everyone',
  'catalog.location.analyze': 'everyone',
  'catalog.ingestion.read': 'everyone',
  // The catalog asks before it knows the new entities' owners.
  'catalog.entity.create': 'members',
  'catalog.location.create': 'members',
  'catalog.entity.refresh': 'owners',
  'catalog.entity.delete': 'owners',
  'catalog.location.delete': 'admins',
  'catalog.ingestion.manage': 'admins',
  // Which templates a user may run is decided by catalog.entity.read
  // (Template spec.allowedGroups); what a run may do by the actions allowed.
  'scaffolder.action.execute': 'userActions',
  'scaffolder.template.parameter.read': 'everyone',
  'scaffolder.template.step.read': 'everyone',
  // A dry-run executes an inline template: it could read anything the
  // portal's credentials can read, so only those who write templates may.
  'scaffolder.template.dry-run': 'templateAuthors',
  'scaffolder.task.create': 'everyone',
  'scaffolder.task.read': 'taskOwners',
  'scaffolder.task.cancel': 'taskOwners',
  'scaffolder.template.management': 'admins',
  // portal:publish:github with visibility public (scaffolder-backend-module-portal-github).
  'portal.scaffolder.repository.public': 'admins',
};

/**
 * Scaffolder actions every user's tasks may run. Everything else (upstream's
 * fetch:* and publish:*, which read and write with the portal's GitHub
 * credentials wherever a template points them) is for admins; templates use
 * the portal:* actions, which check their URLs and targets.
 */
export const userScaffolderActions: ReadonlyArray<string> = [
  'portal:fetch:template',
  'portal:fetch:template:file',
  'portal:fetch:plain',
  'portal:fetch:plain:file',
  'portal:publish:github',
  'portal:publish:github:pull-request',
  'catalog:fetch',
  'catalog:register',
  'catalog:write',
  'debug:log',
  'debug:wait',
  'fs:delete',
  'fs:rename',
  'fs:readdir',
];

export function grantFor(permission: PolicyQuery['permission']): Grant {
  const listed = portalGrants[permission.name];
  if (listed) return listed;
  const action = permission.attributes.action;
  return action === undefined || action === 'read' ? 'everyone' : 'admins';
}

const allow: PolicyDecision = { result: AuthorizeResult.ALLOW };
const deny: PolicyDecision = { result: AuthorizeResult.DENY };

/** The roles a user holds, from the role references of their token. */
export function rolesOf(ownershipEntityRefs: string[]): Set<PortalRole> {
  const refs = new Set(
    ownershipEntityRefs.map(r => r.toLocaleLowerCase('en-US')),
  );
  const roles = new Set<PortalRole>();
  for (const [role, ref] of Object.entries(portalRoleRefs)) {
    if (refs.has(ref)) roles.add(role as PortalRole);
  }
  return roles;
}

export interface PortalPermissionPolicyOptions {
  userInfo: UserInfoService;
  /**
   * Roles of the guest user where guest sign-in is on (local development and
   * the demo layer only): its token comes from upstream's guest provider,
   * which issues no role references.
   */
  guest?: { userEntityRef: string; roles: PortalRole[] };
}

/**
 * The portal's permission policy. Admin, member and template author are
 * roles the Okta sign-in puts into the token from the verified Okta claims
 * only (plugins/auth-backend-module-portal-okta/src/roles.ts); catalog
 * memberships (GitHub teams, YAML) give ownership of entities, never a role.
 * Decisions for users only: services (plugins, the static API token) are
 * decided by their access restrictions before a policy is asked.
 */
export class PortalPermissionPolicy implements PermissionPolicy {
  private readonly userInfo: UserInfoService;
  private readonly guest?: { userEntityRef: string; roles: PortalRole[] };

  constructor(options: PortalPermissionPolicyOptions) {
    this.userInfo = options.userInfo;
    this.guest = options.guest && {
      userEntityRef: options.guest.userEntityRef.toLocaleLowerCase('en-US'),
      roles: options.guest.roles,
    };
  }

  async handle(
    request: PolicyQuery,
    user?: PolicyQueryUser,
  ): Promise<PolicyDecision> {
    if (!user) {
      return deny;
    }
    const { permission } = request;
    const { userEntityRef, ownershipEntityRefs } =
      await this.userInfo.getUserInfo(user.credentials);
    const refs = ownershipEntityRefs.map(ref => ref.toLocaleLowerCase('en-US'));
    const roles = rolesOf(refs);
    if (
      this.guest &&
      userEntityRef.toLocaleLowerCase('en-US') === this.guest.userEntityRef
    ) {
      this.guest.roles.forEach(role => roles.add(role));
    }
    const isAdmin = roles.has('admin');
    const groups = refs.filter(ref => ref.startsWith('group:'));

    const entityPermission = isResourcePermission(permission, 'catalog-entity')
      ? permission
      : undefined;
    if (entityPermission?.name === 'catalog.entity.read' && !isAdmin) {
      return createCatalogConditionalDecision(
        entityPermission,
        templatesVisibleTo(groups),
      );
    }
    if (isAdmin) {
      return allow;
    }
    switch (grantFor(permission)) {
      case 'everyone':
        return allow;
      case 'members':
        return roles.has('member') ? allow : deny;
      case 'templateAuthors':
        return roles.has('templateAuthor') ? allow : deny;
      case 'owners':
        // Ownership is a condition on entities; anything else is admins' only.
        return entityPermission
          ? createCatalogConditionalDecision(
              entityPermission,
              catalogConditions.isEntityOwner({ claims: refs }),
            )
          : deny;
      case 'taskOwners':
        return isResourcePermission(permission, 'scaffolder-task')
          ? createScaffolderTaskConditionalDecision(
              permission,
              scaffolderTaskConditions.isTaskOwner({
                createdBy: [userEntityRef],
              }),
            )
          : deny;
      case 'userActions':
        return isResourcePermission(permission, 'scaffolder-action')
          ? createScaffolderActionConditionalDecision(permission, {
              anyOf: userScaffolderActions.map(actionId =>
                scaffolderActionConditions.hasActionId({ actionId }),
              ) as unknown as [PermissionCondition<'scaffolder-action'>],
            })
          : deny;
      case 'admins':
      default:
        return deny;
    }
  }
}

/**
 * Everything except Templates whose spec.allowedGroups names none of the
 * user's groups (entries are group names or references).
 */
function templatesVisibleTo(
  groupRefs: string[],
): PermissionCriteria<PermissionCondition<'catalog-entity'>> {
  const values = groupRefs.flatMap(ref => {
    const { namespace, name } = parseEntityRef(ref);
    return namespace === 'default' ? [name, ref] : [ref];
  });
  return {
    anyOf: [
      { not: catalogConditions.isEntityKind({ kinds: ['Template'] }) },
      {
        not: catalogConditions.hasSpec({ key: TEMPLATE_ALLOWED_GROUPS_FIELD }),
      },
      ...values.map(value =>
        catalogConditions.hasSpec({
          key: TEMPLATE_ALLOWED_GROUPS_FIELD,
          value,
        }),
      ),
    ],
  };
}
