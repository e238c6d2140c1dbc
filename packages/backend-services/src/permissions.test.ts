import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import {
  AuthorizeResult,
  createPermission,
} from '@backstage/plugin-permission-common';
import { withDenyLogging } from './permissions';

const deletePermission = createPermission({
  name: 'catalog.entity.delete',
  attributes: { action: 'delete' },
  resourceType: 'catalog-entity',
});
const readPermission = createPermission({
  name: 'catalog.entity.read',
  attributes: { action: 'read' },
});

describe('withDenyLogging', () => {
  it('logs each denial with user, permission and resource, and passes decisions through', async () => {
    const warnings: Array<[string, unknown]> = [];
    const logger = mockServices.logger.mock({
      warn: (message: string, meta?: unknown) => {
        warnings.push([message, meta]);
      },
    } as any);
    const inner = {
      authorize: jest.fn(async () => [
        { result: AuthorizeResult.DENY },
        { result: AuthorizeResult.ALLOW },
      ]),
      authorizeConditional: jest.fn(async () => [
        { result: AuthorizeResult.DENY },
      ]),
    };
    const permissions = withDenyLogging(inner as any, {
      auth: mockServices.auth(),
      logger,
    });
    const credentials = mockCredentials.user('user:default/alan.turing');

    const decisions = await permissions.authorize(
      [
        {
          permission: deletePermission,
          resourceRef: 'component:default/storefront-web',
        },
        { permission: readPermission },
      ],
      { credentials },
    );
    expect(decisions.map(d => d.result)).toEqual([
      AuthorizeResult.DENY,
      AuthorizeResult.ALLOW,
    ]);
    await permissions.authorizeConditional(
      [{ permission: readPermission } as any],
      {
        credentials: mockCredentials.service('plugin:scaffolder'),
      },
    );

    expect(warnings).toEqual([
      [
        'Permission denied: user:default/alan.turing may not catalog.entity.delete on component:default/storefront-web',
        {
          user: 'user:default/alan.turing',
          permission: 'catalog.entity.delete',
          resource: 'component:default/storefront-web',
        },
      ],
      [
        'Permission denied: service:plugin:scaffolder may not catalog.entity.read',
        {
          user: 'service:plugin:scaffolder',
          permission: 'catalog.entity.read',
          resource: null,
        },
      ],
    ]);
  });
});
