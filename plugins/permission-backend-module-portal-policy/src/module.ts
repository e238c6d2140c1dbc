import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import {
  oktaGroupToEntityRef,
  readOktaGroupMapping,
} from '@internal/backstage-plugin-auth-backend-module-portal-okta';
import { PortalPermissionPolicy } from './PortalPermissionPolicy';

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
        let adminGroupRef: string | undefined;
        if (adminGroup) {
          adminGroupRef = oktaGroupToEntityRef(
            adminGroup,
            readOktaGroupMapping(config),
          );
          if (!adminGroupRef) {
            logger.warn(
              `portal.authorization.adminGroup '${adminGroup}' does not pass portal.okta.groups (prefix filter); nobody is a portal admin`,
            );
          } else {
            logger.info(`Portal admins: members of ${adminGroupRef}`);
          }
        } else {
          logger.info(
            'portal.authorization.adminGroup is not set; nobody is a portal admin',
          );
        }
        policy.setPolicy(
          new PortalPermissionPolicy({ userInfo, adminGroupRef }),
        );
      },
    });
  },
});
