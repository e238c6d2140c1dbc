import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { ScmIntegrations } from '@backstage/integration';
import {
  createPortalPublishGithubAction,
  explainGithubError,
  resolveGithubRepo,
} from './action';
import { DEFAULT_REPOSITORY_SETTINGS, publishGithubInput } from './settings';

const integrations = ScmIntegrations.fromConfig(
  new ConfigReader({
    integrations: {
      github: [{ host: 'github.com', token: 't' }],
      gitlab: [{ host: 'gitlab.com', token: 't' }],
    },
  }),
);

function setup(publishHandler = jest.fn()) {
  const publish = { id: 'publish:github', handler: publishHandler } as any;
  const action = createPortalPublishGithubAction({
    integrations,
    settings: DEFAULT_REPOSITORY_SETTINGS,
    guards: { allowedOwners: ['acme'] },
    mayPublishPublic: async () => false,
    publish,
  });
  const outputs: Record<string, unknown> = {};
  const ctx = (input: object, isDryRun = false) =>
    ({
      input,
      isDryRun,
      logger: mockServices.logger.mock(),
      output: (name: string, value: unknown) => (outputs[name] = value),
      workspacePath: '/tmp/workspace',
    } as any);
  return { action, publishHandler, outputs, ctx };
}

describe('resolveGithubRepo', () => {
  it('reads host, owner and name', () => {
    expect(
      resolveGithubRepo('github.com?owner=acme&repo=payments', integrations),
    ).toEqual({ host: 'github.com', owner: 'acme', repo: 'payments' });
  });

  it('explains a host that is not GitHub, a missing owner and a bad name', () => {
    expect(() =>
      resolveGithubRepo('gitlab.com?owner=acme&repo=x', integrations),
    ).toThrow(
      "'gitlab.com' is not a GitHub host this portal can create repositories on (configured: github.com)",
    );
    expect(() =>
      resolveGithubRepo('example.com?owner=acme&repo=x', integrations),
    ).toThrow(
      "'example.com' is not a GitHub host this portal can create repositories on (configured: github.com)",
    );
    expect(() =>
      resolveGithubRepo('github.com?repo=payments', integrations),
    ).toThrow(/no owner|not valid/);
    expect(() =>
      resolveGithubRepo('github.com?owner=acme&repo=has space', integrations),
    ).toThrow(/Invalid repository name: .* may contain only letters/);
  });
});

describe('portal:publish:github', () => {
  it("hands upstream publish:github the organisation's settings with the template's choices", async () => {
    const { action, publishHandler, ctx } = setup();
    await action.handler(
      ctx({
        repoUrl: 'github.com?owner=acme&repo=payments',
        description: 'Payments',
        topics: ['nodejs'],
      }),
    );
    expect(publishHandler).toHaveBeenCalledTimes(1);
    // The settings themselves are checked in settings.test.ts.
    expect(publishHandler.mock.calls[0][0].input).toEqual(
      publishGithubInput(DEFAULT_REPOSITORY_SETTINGS, {
        repoUrl: 'github.com?owner=acme&repo=payments',
        description: 'Payments',
        topics: ['nodejs'],
      }),
    );
    expect(publishHandler.mock.calls[0][0].input).toMatchObject({
      repoVisibility: 'private',
      requiredApprovingReviewCount: 2,
      hasWiki: false,
    });
  });

  it('refuses a bad name or topic before calling GitHub', async () => {
    const { action, publishHandler, ctx } = setup();
    await expect(
      action.handler(ctx({ repoUrl: 'github.com?owner=acme&repo=a b' })),
    ).rejects.toThrow(/Invalid repository name/);
    await expect(
      action.handler(
        ctx({ repoUrl: 'github.com?owner=acme&repo=ok', topics: ['Bad'] }),
      ),
    ).rejects.toThrow(/'Bad' is not a valid GitHub topic/);
    expect(publishHandler).not.toHaveBeenCalled();
  });

  it('refuses other organisations, and public repositories for non-admins', async () => {
    const { action, publishHandler, ctx } = setup();
    await expect(
      action.handler(ctx({ repoUrl: 'github.com?owner=evil-corp&repo=x' })),
    ).rejects.toThrow("'evil-corp' is not allowed");
    await expect(
      action.handler(
        ctx({ repoUrl: 'github.com?owner=acme&repo=x', visibility: 'public' }),
      ),
    ).rejects.toThrow('Only portal admins may publish public repositories');
    expect(publishHandler).not.toHaveBeenCalled();
  });

  it('in a dry run says what it would create and calls nothing', async () => {
    const { action, publishHandler, outputs, ctx } = setup();
    const context = ctx(
      { repoUrl: 'github.com?owner=acme&repo=payments' },
      true,
    );
    await action.handler(context);
    expect(publishHandler).not.toHaveBeenCalled();
    expect(outputs).toEqual({
      remoteUrl: 'https://github.com/acme/payments',
      repoContentsUrl: 'https://github.com/acme/payments/blob/main',
    });
    expect(context.logger.info).toHaveBeenCalledWith(
      expect.stringContaining('"requiredApprovingReviewCount":2'),
    );
  });

  it('says plainly that the repository exists', async () => {
    const { action, ctx } = setup(
      jest
        .fn()
        .mockRejectedValue(
          new Error(
            'Failed to create the Organization repository acme/payments, Repository creation failed.: {"resource":"Repository","code":"custom","field":"name","message":"name already exists on this account"}',
          ),
        ),
    );
    await expect(
      action.handler(ctx({ repoUrl: 'github.com?owner=acme&repo=payments' })),
    ).rejects.toThrow(
      'A repository named acme/payments already exists on github.com; choose another name (nothing was changed in it)',
    );
  });
});

describe('the protection check after publishing', () => {
  const run = async (protection: object | undefined) => {
    const readProtection = jest.fn().mockResolvedValue(protection);
    const action = createPortalPublishGithubAction({
      integrations,
      settings: DEFAULT_REPOSITORY_SETTINGS,
      guards: { allowedOwners: ['acme'] },
      mayPublishPublic: async () => false,
      publish: { id: 'publish:github', handler: jest.fn() } as any,
      readProtection,
    });
    await action.handler({
      input: { repoUrl: 'github.com?owner=acme&repo=payments' },
      logger: mockServices.logger.mock(),
      output: jest.fn(),
    } as any);
    expect(readProtection).toHaveBeenCalledWith({
      host: 'github.com',
      owner: 'acme',
      repo: 'payments',
      branch: 'main',
    });
  };

  it('passes when main requires the configured approvals', async () => {
    await run({
      required_pull_request_reviews: { required_approving_review_count: 2 },
    });
  });

  it('fails when main is unprotected or requires fewer approvals', async () => {
    await expect(run(undefined)).rejects.toThrow(
      'acme/payments was created and the files pushed, but its main branch is not protected as the organisation requires (no protection)',
    );
    await expect(
      run({
        required_pull_request_reviews: { required_approving_review_count: 1 },
      }),
    ).rejects.toThrow(/\(1 required approvals instead of 2\)/);
  });
});

describe('explainGithubError', () => {
  it('turns a 5xx into advice, and passes other errors on', () => {
    const bad = Object.assign(new Error('Bad Gateway'), { status: 502 });
    expect(explainGithubError(bad, 'acme/x', 'github.com').message).toMatch(
      /GitHub did not answer properly while creating acme\/x \(Bad Gateway\)\. .*run the template again/,
    );
    const other = new Error('Resource not accessible by integration');
    expect(explainGithubError(other, 'acme/x', 'github.com')).toBe(other);
    // A name that looks like a status code is not a GitHub outage.
    const named = new Error(
      'Failed to create the Organization repository acme/api-500, Resource not accessible by integration',
    );
    expect(explainGithubError(named, 'acme/api-500', 'github.com')).toBe(named);
  });

  it('explains a push refused because an earlier run already pushed', () => {
    expect(
      explainGithubError(
        new Error('Push rejected because it was not a simple fast-forward.'),
        'acme/x',
        'github.com',
      ).message,
    ).toMatch(/^acme\/x already has commits from an earlier run of this task/);
  });
});
