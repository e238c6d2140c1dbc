import { ConfigReader } from '@backstage/config';
import { ScmIntegrations } from '@backstage/integration';
import { TemplateAction } from '@backstage/plugin-scaffolder-node';
import { createGuardedFetchAction } from './fetch';
import {
  checkOwner,
  fetchUrlProblem,
  isUnder,
  readScaffolderGuards,
} from './guards';
import {
  createGuardedPullRequestAction,
  PullRequestAccess,
} from './pullRequest';

const integrations = ScmIntegrations.fromConfig(
  new ConfigReader({
    integrations: { github: [{ host: 'github.com', token: 't' }] },
  }),
);
const templateOnGithub =
  'https://github.com/acme/templates/blob/main/service/template.yaml';

describe('fetch URLs', () => {
  const problem = (url: string, base?: string, allowed: string[] = []) =>
    fetchUrlProblem(url, base, integrations, allowed);

  it("allows the template's own folder", () => {
    expect(problem('./content', templateOnGithub)).toBeUndefined();
    expect(
      problem(
        'https://github.com/acme/templates/tree/main/service/content',
        templateOnGithub,
      ),
    ).toBeUndefined();
    // A template on disk: upstream keeps relative paths inside its folder.
    expect(
      problem('./content', 'file:///app/templates/service/template.yaml'),
    ).toBeUndefined();
  });

  it('refuses other repositories, hosts, files and metadata servers', () => {
    for (const url of [
      'https://github.com/acme/private-repo',
      'https://github.com/acme/private-repo/blob/main/secrets.yaml',
      'https://github.com/acme/templates/tree/main/other',
      '../../../private-repo/tree/main',
      'https://github.com/acme/templates/blob/main/service/../../private',
      'https://user@github.com/acme/templates/blob/main/service/content',
      'https://github.com.evil.example/acme/templates/blob/main/service/x',
      'http://169.254.169.254/computeMetadata/v1/',
      'file:///etc/passwd',
    ]) {
      expect(problem(url, templateOnGithub)).toMatch(
        /outside the template's own folder|cannot be resolved/,
      );
    }
    // A dry-run's inline template has a file: base: absolute URLs are refused.
    expect(
      problem('https://github.com/acme/private-repo', 'file:///tmp/dry-run/'),
    ).toMatch(/outside/);
  });

  it('allows configured prefixes, exactly', () => {
    const allowed = ['https://github.com/acme/skeletons/'];
    expect(
      problem(
        'https://github.com/acme/skeletons/tree/main/node',
        undefined,
        allowed,
      ),
    ).toBeUndefined();
    expect(
      problem('https://github.com/acme/skeletons-private', undefined, allowed),
    ).toBeDefined();
    expect(isUnder('https://github.com/acme/skeletons', allowed[0])).toBe(true);
  });
});

describe('owners', () => {
  it('defaults to the discovery organisation and compares without case', () => {
    const guards = readScaffolderGuards(
      new ConfigReader({
        catalog: {
          providers: { github: { repositories: { organization: 'Acme' } } },
        },
      }),
    );
    expect(guards.allowedOwners).toEqual(['acme']);
    expect(() => checkOwner('ACME', guards)).not.toThrow();
    expect(() => checkOwner('evil-corp', guards)).toThrow(
      "Templates may only create repositories in or open pull requests on acme; 'evil-corp' is not allowed",
    );
    expect(() =>
      checkOwner('acme', readScaffolderGuards(new ConfigReader({}))),
    ).toThrow('portal.scaffolder.github.allowedOwners is empty');
  });

  it('refuses a fetch prefix that is not an http(s) URL', () => {
    expect(() =>
      readScaffolderGuards(
        new ConfigReader({
          portal: { scaffolder: { allowedFetchUrls: ['file:///etc/'] } },
        }),
      ),
    ).toThrow("'file:///etc/' must be an http(s) URL");
  });
});

const upstream = (id: string) => {
  const handler = jest.fn(async () => {});
  return {
    action: { id, description: 'x', handler } as unknown as TemplateAction<
      any,
      any,
      any
    >,
    handler,
  };
};
const ctx = (input: object, extra: object = {}) =>
  ({
    input,
    templateInfo: { baseUrl: templateOnGithub },
    getInitiatorCredentials: async () => ({}),
    ...extra,
  } as any);

describe('portal:fetch:*', () => {
  it('runs upstream only for allowed URLs', async () => {
    const { action, handler } = upstream('fetch:plain');
    const guarded = createGuardedFetchAction(action, {
      integrations,
      allowedFetchUrls: [],
    });
    expect(guarded.id).toBe('portal:fetch:plain');
    await expect(
      guarded.handler(ctx({ url: 'https://github.com/acme/private-repo' })),
    ).rejects.toThrow('Templates may not fetch');
    expect(handler).not.toHaveBeenCalled();
    await guarded.handler(ctx({ url: './content' }));
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it('does nothing once the task is cancelled', async () => {
    const { action, handler } = upstream('fetch:template');
    const guarded = createGuardedFetchAction(action, {
      integrations,
      allowedFetchUrls: [],
    });
    const controller = new AbortController();
    controller.abort();
    await expect(
      guarded.handler(ctx({ url: './content' }, { signal: controller.signal })),
    ).rejects.toThrow('The task was cancelled');
    expect(handler).not.toHaveBeenCalled();
  });
});

describe('portal:publish:github:pull-request', () => {
  const access = (
    over: Partial<PullRequestAccess> = {},
  ): PullRequestAccess => ({
    mayUseAnyRepository: async () => false,
    githubLoginOf: async () => 'tim',
    repositoryPermission: async () => 'read',
    ...over,
  });
  const run = async (a: PullRequestAccess, repoUrl: string) => {
    const { action, handler } = upstream('publish:github:pull-request');
    const guarded = createGuardedPullRequestAction(action, {
      integrations,
      guards: { allowedOwners: ['acme'], allowedFetchUrls: [] },
      access: a,
    });
    try {
      await guarded.handler(ctx({ repoUrl }));
    } finally {
      // eslint-disable-next-line no-unsafe-finally
      return handler.mock.calls.length;
    }
  };
  const repoUrl = 'github.com?owner=acme&repo=payments';

  it("refuses repositories the user's GitHub account may not push to", async () => {
    const repositoryPermission = jest.fn(async () => 'read');
    expect(await run(access({ repositoryPermission }), repoUrl)).toBe(0);
    expect(repositoryPermission).toHaveBeenCalledWith({
      host: 'github.com',
      owner: 'acme',
      repo: 'payments',
      login: 'tim',
    });
    expect(
      await run(access({ githubLoginOf: async () => undefined }), repoUrl),
    ).toBe(0);
    expect(
      await run(access({ repositoryPermission: async () => 'write' }), repoUrl),
    ).toBe(1);
  });

  it('lets admins use any repository of the allowed organisations only', async () => {
    const admin = access({ mayUseAnyRepository: async () => true });
    expect(await run(admin, repoUrl)).toBe(1);
    expect(await run(admin, 'github.com?owner=other&repo=x')).toBe(0);
  });
});
