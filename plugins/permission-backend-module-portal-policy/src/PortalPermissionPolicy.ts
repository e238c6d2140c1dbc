import {
  PolicyDecision,
  AuthorizeResult,
} from '@backstage/plugin-permission-common';
import {
  PermissionPolicy,
  PolicyQuery,
  PolicyQueryUser,
} from '@backstage/plugin-permission-node';

/**
 * The portal's permission policy.
 *
 * Placeholder until Okta groups arrive (see the Okta issue): every request
 * that reached the permission backend was already authenticated by
 * Backstage's auth service (signed-in user or service/static token), so it is
 * allowed. Unauthenticated requests never get here: Backstage answers them
 * with 401 before any permission check.
 */
export class PortalPermissionPolicy implements PermissionPolicy {
  async handle(
    _request: PolicyQuery,
    _user?: PolicyQueryUser,
  ): Promise<PolicyDecision> {
    return { result: AuthorizeResult.ALLOW };
  }
}
