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
import { parseEntityRef } from '@backstage/catalog-model';
import { UserInfoService } from '@backstage/backend-plugin-api';

/** Spec field of a Template that limits who may see and run it. */
export const TEMPLATE_ALLOWED_GROUPS_FIELD = 'allowedGroups';

/** Who gets a permission. */
export type Grant =
  /** every signed-in user */
  | 'everyone'
  /** users who belong to at least one group (so they can own entities) */
  | 'members'
  /** the entity's owners (a condition the catalog applies) and admins */
  | 'owners'
  /** members of the admin group only */
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
  // (Template spec.allowedGroups).
  'scaffolder.action.execute': 'everyone',
  'scaffolder.template.parameter.read': 'everyone',
  'scaffolder.template.step.read': 'everyone',
  'scaffolder.template.dry-run': 'members',
  'scaffolder.task.create': 'everyone',
  'scaffolder.task.read': 'everyone',
  'scaffolder.task.cancel': 'everyone',
  'scaffolder.template.management': 'admins',
};

export function grantFor(permission: PolicyQuery['permission']): Grant {
  const listed = portalGrants[permission.name];
  if (listed) return listed;
  const action = permission.attributes.action;
  return action === undefined || action === 'read' ? 'everyone' : 'admins';
}

const allow: PolicyDecision = { result: AuthorizeResult.ALLOW };
const deny: PolicyDecision = { result: AuthorizeResult.DENY };

/**
 * The portal's permission policy: signed-in users read; owners and admins
 * change; templates can be limited to groups. Decisions for users only:
 * services (plugins, the static API token) are decided by their access
 * restrictions before a policy is asked.
 */
export class PortalPermissionPolicy implements PermissionPolicy {
  private readonly adminGroupRef?: string;
  private readonly userInfo: UserInfoService;

  constructor(options: { userInfo: UserInfoService; adminGroupRef?: string }) {
    this.userInfo = options.userInfo;
    this.adminGroupRef = options.adminGroupRef?.toLocaleLowerCase('en-US');
  }

  async handle(
    request: PolicyQuery,
    user?: PolicyQueryUser,
  ): Promise<PolicyDecision> {
    if (!user) {
      return deny;
    }
    const { permission } = request;
    const { ownershipEntityRefs } = await this.userInfo.getUserInfo(
      user.credentials,
    );
    const refs = ownershipEntityRefs.map(ref => ref.toLocaleLowerCase('en-US'));
    const isAdmin = !!this.adminGroupRef && refs.includes(this.adminGroupRef);
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
    switch (grantFor(permission)) {
      case 'everyone':
        return allow;
      case 'members':
        return isAdmin || groups.length > 0 ? allow : deny;
      case 'owners':
        if (isAdmin) return allow;
        // Ownership is a condition on entities; anything else is admins' only.
        return entityPermission
          ? createCatalogConditionalDecision(
              entityPermission,
              catalogConditions.isEntityOwner({ claims: refs }),
            )
          : deny;
      case 'admins':
      default:
        return isAdmin ? allow : deny;
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
