import { ConfigReader } from '@backstage/config';
import {
  DEFAULT_REPOSITORY_SETTINGS,
  publishGithubInput,
  readRepositorySettings,
  repositoryNameProblem,
} from './settings';

const read = (repository: object) =>
  readRepositorySettings(
    new ConfigReader({ portal: { scaffolder: { github: { repository } } } }),
  );

describe('readRepositorySettings', () => {
  it('defaults to the organisation conventions: main, 2 reviews, CI required, no wiki, squash only', () => {
    const settings = readRepositorySettings(new ConfigReader({}));
    expect(settings).toEqual(DEFAULT_REPOSITORY_SETTINGS);
    expect(settings).toMatchObject({
      defaultBranch: 'main',
      requiredApprovingReviewCount: 2,
      dismissStaleReviews: true,
      requiredStatusCheckContexts: ['ci'],
      hasWiki: false,
      deleteBranchOnMerge: true,
      allowSquashMerge: true,
      allowMergeCommit: false,
      allowRebaseMerge: false,
    });
  });

  it('takes what app-config says over the defaults', () => {
    expect(
      read({
        requiredApprovingReviewCount: 1,
        requiredStatusCheckContexts: ['build', 'test'],
        hasWiki: true,
        visibility: 'internal',
        topics: ['acme'],
      }),
    ).toMatchObject({
      requiredApprovingReviewCount: 1,
      requiredStatusCheckContexts: ['build', 'test'],
      hasWiki: true,
      visibility: 'internal',
      topics: ['acme'],
      defaultBranch: 'main',
    });
  });

  it('names the key of a value that makes no sense', () => {
    expect(() => read({ visibility: 'secret' })).toThrow(
      /portal.scaffolder.github.repository.visibility must be one of private, internal, public/,
    );
    expect(() => read({ requiredApprovingReviewCount: 7 })).toThrow(
      /requiredApprovingReviewCount must be a whole number from 0 to 6/,
    );
    expect(() => read({ topics: ['Not A Topic'] })).toThrow(
      /'Not A Topic' is not a valid GitHub topic/,
    );
    expect(() => read({ defaultBranch: 'ma in' })).toThrow(
      /defaultBranch is not a valid branch name/,
    );
  });
});

describe('repositoryNameProblem', () => {
  it.each(['payments-api', 'web.site', 'lib_1', 'A'])('accepts %s', name =>
    expect(repositoryNameProblem(name)).toBeUndefined(),
  );
  it.each([
    ['', /empty/],
    ['has space', /only letters, digits/],
    ['ünïcode', /only letters, digits/],
    ['..', /not a repository name/],
    ['tools.git', /must not end in '.git'/],
    ['x'.repeat(101), /longer than 100/],
  ])('refuses %j', (name, problem) =>
    expect(repositoryNameProblem(name)).toMatch(problem),
  );
});

describe('publishGithubInput', () => {
  it('puts the settings under what the template chose', () => {
    const input = publishGithubInput(
      { ...DEFAULT_REPOSITORY_SETTINGS, topics: ['acme'] },
      {
        repoUrl: 'github.com?owner=acme&repo=payments',
        description: 'Payments',
        visibility: 'internal',
        topics: ['nodejs', 'acme'],
      },
    );
    expect(input).toEqual({
      repoUrl: 'github.com?owner=acme&repo=payments',
      description: 'Payments',
      repoVisibility: 'internal',
      defaultBranch: 'main',
      protectDefaultBranch: true,
      protectEnforceAdmins: true,
      requiredApprovingReviewCount: 2,
      dismissStaleReviews: true,
      requireCodeOwnerReviews: false,
      requiredStatusCheckContexts: ['ci'],
      requireBranchesToBeUpToDate: true,
      requiredConversationResolution: true,
      hasWiki: false,
      hasProjects: false,
      hasIssues: true,
      deleteBranchOnMerge: true,
      allowSquashMerge: true,
      allowMergeCommit: false,
      allowRebaseMerge: false,
      topics: ['acme', 'nodejs'],
    });
  });

  it('uses the default visibility when the template does not ask', () => {
    expect(
      publishGithubInput(DEFAULT_REPOSITORY_SETTINGS, { repoUrl: 'x' })
        .repoVisibility,
    ).toBe('private');
  });
});
