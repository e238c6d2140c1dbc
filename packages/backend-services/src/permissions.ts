import {
  AuthService,
  BackstageCredentials,
  coreServices,
  createServiceFactory,
  LoggerService,
  PermissionsService,
  PermissionsServiceRequestOptions,
} from '@backstage/backend-plugin-api';
import {
  AuthorizePermissionRequest,
  AuthorizeResult,
  QueryPermissionRequest,
} from '@backstage/plugin-permission-common';
import { ServerPermissionClient } from '@backstage/plugin-permission-node';

/** Who asked, for the log: a user's entity ref, a service's subject. */
export function describePrincipal(
  auth: AuthService,
  credentials: BackstageCredentials | undefined,
): string {
  if (!credentials) return 'unknown';
  if (auth.isPrincipal(credentials, 'user')) {
    return credentials.principal.userEntityRef;
  }
  if (auth.isPrincipal(credentials, 'service')) {
    return `service:${credentials.principal.subject}`;
  }
  return 'anonymous';
}

/**
 * Wraps a plugin's permissions service so that every DENY it receives is
 * logged (warn) with the user, the permission and the resource. Decisions are
 * unchanged.
 */
export function withDenyLogging(
  inner: PermissionsService,
  deps: { auth: AuthService; logger: LoggerService },
): PermissionsService {
  const logDenies = (
    requests: Array<AuthorizePermissionRequest | QueryPermissionRequest>,
    results: Array<{ result: AuthorizeResult }>,
    options?: PermissionsServiceRequestOptions,
  ) => {
    results.forEach((decision, i) => {
      if (decision.result !== AuthorizeResult.DENY) return;
      const request = requests[i] as AuthorizePermissionRequest;
      const user = describePrincipal(deps.auth, options?.credentials);
      const resource = request.resourceRef ?? null;
      deps.logger.warn(
        `Permission denied: ${user} may not ${request.permission.name}${
          resource ? ` on ${resource}` : ''
        }`,
        { user, permission: request.permission.name, resource },
      );
    });
  };
  return {
    async authorize(requests, options) {
      const results = await inner.authorize(requests, options);
      logDenies(requests, results, options);
      return results;
    },
    async authorizeConditional(requests, options) {
      const results = await inner.authorizeConditional(requests, options);
      logDenies(requests, results, options);
      return results;
    },
  };
}

/**
 * The permissions service of every plugin: Backstage's default client
 * (ServerPermissionClient: services are decided by their access
 * restrictions, users by the permission policy), with denials logged.
 */
export const portalPermissionsServiceFactory = createServiceFactory({
  service: coreServices.permissions,
  deps: {
    auth: coreServices.auth,
    config: coreServices.rootConfig,
    discovery: coreServices.discovery,
    logger: coreServices.logger,
  },
  async factory({ auth, config, discovery, logger }) {
    const inner = ServerPermissionClient.fromConfig(config, {
      auth,
      discovery,
    });
    return withDenyLogging(inner, { auth, logger });
  },
});
