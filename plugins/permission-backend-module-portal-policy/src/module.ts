import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import {
  PortalRole,
  portalRoleRefs,
} from '@internal/backstage-plugin-auth-backend-module-portal-okta';
import {
  PortalPermissionPolicy,
  PortalPermissionPolicyOptions,
} from './PortalPermissionPolicy';

/**
 * The guest user's roles (`portal.authorization.guestRoles`), only where the
 * guest sign-in can be used at all: outside production, or with the demo
 * layer's `dangerouslyAllowOutsideDevelopment`. Unknown roles are refused.
 */
export function readGuestRoles(
  config: Config,
  nodeEnv = process.env.NODE_ENV,
): PortalPermissionPolicyOptions['guest'] {
  const roles = config.getOptionalStringArray(
    'portal.authorization.guestRoles',
  );
  const userEntityRef = config.getOptionalString(
    'auth.providers.guest.userEntityRef',
  );
  if (!roles?.length || !userEntityRef) return undefined;
  const unknown = roles.filter(r => !Object.hasOwn(portalRoleRefs, r));
  if (unknown.length > 0) {
    throw new Error(
      `portal.authorization.guestRoles: unknown role ${unknown.join(
        ', ',
      )}; use some of ${Object.keys(portalRoleRefs).join(', ')}`,
    );
  }
  const guestOn =
    nodeEnv !== 'production' ||
    config.getOptionalBoolean(
      'auth.providers.guest.dangerouslyAllowOutsideDevelopment',
    ) === true;
  return guestOn ? { userEntityRef, roles: roles as PortalRole[] } : undefined;
}

/** Installs the portal's permission policy into the permission backend. */
export const permissionModulePortalPolicy = createBackendModule({
  pluginId: 'permission',
  moduleId: 'portal-policy',
  register(reg) {
    reg.registerInit({
      deps: {
        policy: policyExtensionPoint,
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        userInfo: coreServices.userInfo,
      },
      async init({ policy, config, logger, userInfo }) {
        const adminGroup = config.getOptionalString(
          'portal.authorization.adminGroup',
        );
        logger.info(
          adminGroup
            ? `Portal admins: members of the Okta group '${adminGroup}' (exact name, from the verified ID token)`
            : 'portal.authorization.adminGroup is not set; nobody is a portal admin',
        );
        const guest = readGuestRoles(config);
        if (guest) {
          logger.warn(
            `Guest sign-in is on: ${
              guest.userEntityRef
            } has the roles ${guest.roles.join(
              ', ',
            )} (portal.authorization.guestRoles)`,
          );
        }
        policy.setPolicy(new PortalPermissionPolicy({ userInfo, guest }));
      },
    });
  },
});
