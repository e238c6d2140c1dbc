import {
  AuthorizeResult,
  createPermission,
} from '@backstage/plugin-permission-common';
import { PortalPermissionPolicy } from './PortalPermissionPolicy';

describe('PortalPermissionPolicy (placeholder)', () => {
  it('allows an authenticated request for any permission', async () => {
    const policy = new PortalPermissionPolicy();
    const permission = createPermission({
      name: 'catalog.entity.delete',
      attributes: { action: 'delete' },
    });
    await expect(policy.handle({ permission })).resolves.toEqual({
      result: AuthorizeResult.ALLOW,
    });
  });
});
