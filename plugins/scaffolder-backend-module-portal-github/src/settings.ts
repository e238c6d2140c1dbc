import { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';

/** How the portal sets up every new repository (`portal.scaffolder.github.repository`). */
export interface RepositorySettings {
  defaultBranch: string;
  visibility: 'private' | 'internal' | 'public';
  requiredApprovingReviewCount: number;
  dismissStaleReviews: boolean;
  requireCodeOwnerReviews: boolean;
  requiredStatusCheckContexts: string[];
  requireBranchesToBeUpToDate: boolean;
  requiredConversationResolution: boolean;
  enforceAdmins: boolean;
  hasWiki: boolean;
  hasProjects: boolean;
  hasIssues: boolean;
  deleteBranchOnMerge: boolean;
  allowSquashMerge: boolean;
  allowMergeCommit: boolean;
  allowRebaseMerge: boolean;
  topics: string[];
}

/** The organisation's conventions, used where app-config says nothing. */
export const DEFAULT_REPOSITORY_SETTINGS: Readonly<RepositorySettings> = {
  defaultBranch: 'main',
  visibility: 'private',
  requiredApprovingReviewCount: 2,
  dismissStaleReviews: true,
  requireCodeOwnerReviews: false,
  requiredStatusCheckContexts: ['ci'],
  requireBranchesToBeUpToDate: true,
  requiredConversationResolution: true,
  enforceAdmins: true,
  hasWiki: false,
  hasProjects: false,
  hasIssues: true,
  deleteBranchOnMerge: true,
  allowSquashMerge: true,
  allowMergeCommit: false,
  allowRebaseMerge: false,
  topics: [],
};

const KEY = 'portal.scaffolder.github.repository';
const VISIBILITIES = ['private', 'internal', 'public'] as const;

/**
 * Reads `portal.scaffolder.github.repository` over the defaults. A value that
 * makes no sense stops start-up with a message naming the key.
 */
export function readRepositorySettings(config: Config): RepositorySettings {
  const c = config.getOptionalConfig(KEY);
  const d = DEFAULT_REPOSITORY_SETTINGS;
  if (!c)
    return {
      ...d,
      requiredStatusCheckContexts: [...d.requiredStatusCheckContexts],
      topics: [],
    };
  const bool = (name: keyof RepositorySettings) =>
    c.getOptionalBoolean(name) ?? (d[name] as boolean);

  const visibility = c.getOptionalString('visibility') ?? d.visibility;
  if (!(VISIBILITIES as readonly string[]).includes(visibility)) {
    throw new InputError(
      `${KEY}.visibility must be one of ${VISIBILITIES.join(
        ', ',
      )}, got '${visibility}'`,
    );
  }
  const reviews =
    c.getOptionalNumber('requiredApprovingReviewCount') ??
    d.requiredApprovingReviewCount;
  if (!Number.isInteger(reviews) || reviews < 0 || reviews > 6) {
    throw new InputError(
      `${KEY}.requiredApprovingReviewCount must be a whole number from 0 to 6 (GitHub's range), got ${reviews}`,
    );
  }
  const defaultBranch = c.getOptionalString('defaultBranch') ?? d.defaultBranch;
  if (!/^[A-Za-z0-9._/-]+$/.test(defaultBranch)) {
    throw new InputError(
      `${KEY}.defaultBranch is not a valid branch name: '${defaultBranch}'`,
    );
  }
  const topics = c.getOptionalStringArray('topics') ?? [];
  for (const topic of topics) checkTopic(topic, `${KEY}.topics`);

  return {
    defaultBranch,
    visibility: visibility as RepositorySettings['visibility'],
    requiredApprovingReviewCount: reviews,
    dismissStaleReviews: bool('dismissStaleReviews'),
    requireCodeOwnerReviews: bool('requireCodeOwnerReviews'),
    requiredStatusCheckContexts: c.getOptionalStringArray(
      'requiredStatusCheckContexts',
    ) ?? [...d.requiredStatusCheckContexts],
    requireBranchesToBeUpToDate: bool('requireBranchesToBeUpToDate'),
    requiredConversationResolution: bool('requiredConversationResolution'),
    enforceAdmins: bool('enforceAdmins'),
    hasWiki: bool('hasWiki'),
    hasProjects: bool('hasProjects'),
    hasIssues: bool('hasIssues'),
    deleteBranchOnMerge: bool('deleteBranchOnMerge'),
    allowSquashMerge: bool('allowSquashMerge'),
    allowMergeCommit: bool('allowMergeCommit'),
    allowRebaseMerge: bool('allowRebaseMerge'),
    topics,
  };
}

/** GitHub's topic rules: lower-case letters, digits and dashes, at most 50. */
export function checkTopic(topic: string, where: string): void {
  if (!/^[a-z0-9][a-z0-9-]{0,49}$/.test(topic)) {
    throw new InputError(
      `${where}: '${topic}' is not a valid GitHub topic (lower-case letters, digits and dashes, starting with a letter or digit, at most 50 characters)`,
    );
  }
}

/**
 * GitHub's repository name rules: letters, digits, `.`, `-`, `_`, at most
 * 100 characters, not `.` or `..`, not ending in `.git`. Returns the problem
 * as a sentence, or undefined.
 */
export function repositoryNameProblem(name: string): string | undefined {
  if (!name) return 'the repository name is empty';
  if (name.length > 100) {
    return `the repository name '${name}' is longer than 100 characters`;
  }
  if (!/^[A-Za-z0-9._-]+$/.test(name)) {
    return `the repository name '${name}' may contain only letters, digits, '.', '-' and '_'`;
  }
  if (name === '.' || name === '..') {
    return `'${name}' is not a repository name`;
  }
  if (/\.git$/i.test(name)) {
    return `the repository name '${name}' must not end in '.git'`;
  }
  return undefined;
}

/**
 * The input `publish:github` gets for a new repository: the organisation's
 * settings, then what the template chose (description, visibility, topics).
 */
export function publishGithubInput(
  settings: RepositorySettings,
  chosen: {
    repoUrl: string;
    description?: string;
    visibility?: RepositorySettings['visibility'];
    topics?: string[];
    sourcePath?: string;
  },
): Record<string, unknown> {
  const topics = [...new Set([...settings.topics, ...(chosen.topics ?? [])])];
  return {
    repoUrl: chosen.repoUrl,
    ...(chosen.description ? { description: chosen.description } : {}),
    ...(chosen.sourcePath ? { sourcePath: chosen.sourcePath } : {}),
    repoVisibility: chosen.visibility ?? settings.visibility,
    defaultBranch: settings.defaultBranch,
    protectDefaultBranch: true,
    protectEnforceAdmins: settings.enforceAdmins,
    requiredApprovingReviewCount: settings.requiredApprovingReviewCount,
    dismissStaleReviews: settings.dismissStaleReviews,
    requireCodeOwnerReviews: settings.requireCodeOwnerReviews,
    requiredStatusCheckContexts: settings.requiredStatusCheckContexts,
    requireBranchesToBeUpToDate: settings.requireBranchesToBeUpToDate,
    requiredConversationResolution: settings.requiredConversationResolution,
    hasWiki: settings.hasWiki,
    hasProjects: settings.hasProjects,
    hasIssues: settings.hasIssues,
    deleteBranchOnMerge: settings.deleteBranchOnMerge,
    allowSquashMerge: settings.allowSquashMerge,
    allowMergeCommit: settings.allowMergeCommit,
    allowRebaseMerge: settings.allowRebaseMerge,
    ...(topics.length > 0 ? { topics } : {}),
  };
}
