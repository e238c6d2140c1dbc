import { ConflictError, InputError, NotAllowedError } from '@backstage/errors';
import { ScmIntegrationRegistry } from '@backstage/integration';
import {
  createTemplateAction,
  parseRepoUrl,
  TemplateAction,
} from '@backstage/plugin-scaffolder-node';
import { githubGet } from './github';
import { checkOwner, ScaffolderGuards, throwIfCancelled } from './guards';
import {
  checkTopic,
  publishGithubInput,
  repositoryNameProblem,
  RepositorySettings,
} from './settings';

export interface PortalPublishGithubOptions {
  integrations: ScmIntegrationRegistry;
  settings: RepositorySettings;
  /** Organisations repositories may be created in. */
  guards: Pick<ScaffolderGuards, 'allowedOwners'>;
  /** Whether the task's user may publish a public repository (admins). */
  mayPublishPublic: (ctx: {
    getInitiatorCredentials(): Promise<any>;
  }) => Promise<boolean>;
  /** Upstream's `publish:github` (createPublishGithubAction), which does the work. */
  publish: TemplateAction<any, any, any>;
  /**
   * Reads a branch's protection from GitHub (undefined: not protected).
   * Upstream only logs a warning when protecting the branch fails; the
   * portal checks afterwards and fails the task instead.
   */
  readProtection?: (repo: {
    host: string;
    owner: string;
    repo: string;
    branch: string;
  }) => Promise<BranchProtection | undefined>;
}

/** The part of GitHub's branch protection the portal checks. */
export interface BranchProtection {
  required_pull_request_reviews?: { required_approving_review_count?: number };
}

/** Where a `repoUrl` (`github.com?owner=acme&repo=x`) points, checked. */
export function resolveGithubRepo(
  repoUrl: string,
  integrations: ScmIntegrationRegistry,
): { host: string; owner: string; repo: string } {
  let host: string;
  try {
    host = new URL(`https://${repoUrl}`).host;
  } catch {
    throw new InputError(
      `The repository location '${repoUrl}' is not valid (expected github.com?owner=<org>&repo=<name>)`,
    );
  }
  if (!integrations.github.byHost(host)) {
    const hosts = integrations.github.list().map(i => i.config.host);
    throw new InputError(
      `'${host}' is not a GitHub host this portal can create repositories on (configured: ${
        hosts.join(', ') || 'none'
      })`,
    );
  }
  let parsed: ReturnType<typeof parseRepoUrl>;
  try {
    parsed = parseRepoUrl(repoUrl, integrations);
  } catch (error) {
    throw new InputError(
      `The repository location '${repoUrl}' is not valid: ${
        (error as Error).message
      }`,
    );
  }
  if (!parsed.owner) {
    throw new InputError(
      `The repository location '${repoUrl}' names no owner (organisation)`,
    );
  }
  const problem = repositoryNameProblem(parsed.repo);
  if (problem) throw new InputError(`Invalid repository name: ${problem}`);
  return { host, owner: parsed.owner, repo: parsed.repo };
}

/**
 * `portal:publish:github`: a new GitHub repository from the workspace, set up
 * as the organisation wants (`portal.scaffolder.github.repository`: default
 * branch, protection with required reviews and status checks, wiki off,
 * merge methods, ...). Templates give only what differs per repository. The
 * work is upstream's `publish:github`; this adds the settings, checks the
 * name and host first, and turns GitHub's answers into messages a template
 * user understands.
 */
export function createPortalPublishGithubAction(
  options: PortalPublishGithubOptions,
) {
  const {
    integrations,
    settings,
    publish,
    readProtection,
    guards,
    mayPublishPublic,
  } = options;
  return createTemplateAction({
    id: 'portal:publish:github',
    description:
      "Creates a GitHub repository with the organisation's settings (app-config portal.scaffolder.github.repository) and pushes the workspace to it.",
    supportsDryRun: true,
    schema: {
      input: {
        repoUrl: z =>
          z.string({
            description:
              'Repository location from RepoUrlPicker: github.com?owner=<org>&repo=<name>',
          }),
        description: z =>
          z.string({ description: 'Repository description' }).optional(),
        visibility: z =>
          z
            .enum(['private', 'internal', 'public'], {
              description: `Visibility (default: ${settings.visibility})`,
            })
            .optional(),
        topics: z =>
          z
            .array(z.string(), {
              description: "Topics, next to the organisation's",
            })
            .optional(),
        sourcePath: z =>
          z
            .string({
              description: 'Workspace folder to publish (default: all)',
            })
            .optional(),
      },
      output: {
        remoteUrl: z => z.string({ description: 'The repository on GitHub' }),
        repoContentsUrl: z =>
          z.string({ description: 'Its default branch, for catalog:register' }),
        commitHash: z =>
          z.string({ description: 'The first commit' }).optional(),
      },
    },
    async handler(ctx) {
      const { host, owner, repo } = resolveGithubRepo(
        ctx.input.repoUrl,
        integrations,
      );
      checkOwner(owner, guards as ScaffolderGuards);
      for (const topic of ctx.input.topics ?? []) checkTopic(topic, 'topics');
      const input = publishGithubInput(settings, ctx.input);
      if (input.repoVisibility === 'public' && !(await mayPublishPublic(ctx))) {
        throw new NotAllowedError(
          `Only portal admins may publish public repositories; ${owner}/${repo} was not created (use private or internal)`,
        );
      }
      const remoteUrl = `https://${host}/${owner}/${repo}`;

      if (ctx.isDryRun) {
        ctx.logger.info(
          `Would create ${remoteUrl} with ${JSON.stringify(input)}`,
        );
        ctx.output('remoteUrl', remoteUrl);
        ctx.output(
          'repoContentsUrl',
          `${remoteUrl}/blob/${settings.defaultBranch}`,
        );
        return;
      }

      throwIfCancelled(ctx.signal);
      try {
        await publish.handler({ ...ctx, input } as any);
      } catch (error) {
        throw explainGithubError(error, `${owner}/${repo}`, host);
      }
      if (readProtection) {
        throwIfCancelled(ctx.signal);
        const branch = settings.defaultBranch;
        let protection: BranchProtection | undefined;
        try {
          protection = await readProtection({ host, owner, repo, branch });
        } catch (error) {
          throw new Error(
            `${owner}/${repo} was created and the files pushed, but its protection could not be checked: ${
              (error as Error).message
            }`,
          );
        }
        const reviews =
          protection?.required_pull_request_reviews
            ?.required_approving_review_count;
        const wanted = settings.requiredApprovingReviewCount;
        if (!protection || (wanted > 0 && reviews !== wanted)) {
          throw new Error(
            `${owner}/${repo} was created and the files pushed, but its ${branch} branch is not protected as the organisation requires (${
              protection
                ? `${reviews ?? 0} required approvals instead of ${wanted}`
                : 'no protection'
            }): GitHub refused the protection (see the warning above). Ask the platform team to protect it, or delete the repository and run the template again.`,
          );
        }
        ctx.logger.info(
          `${owner}/${repo}: ${branch} is protected (${wanted} approving reviews required)`,
        );
      }
    },
  });
}

/** A GitHub failure as a sentence for the task log. */
export function explainGithubError(
  error: unknown,
  fullName: string,
  host: string,
): Error {
  const message = String((error as Error)?.message ?? error);
  const status = (error as { status?: number })?.status;
  // The repository's name is in upstream's messages; it must not look like
  // a status code ("api-500").
  const withoutName = message.split(fullName).join('');
  if (
    /not a simple fast-forward|PushRejected|failed to update ref/i.test(message)
  ) {
    return new Error(
      `${fullName} already has commits from an earlier run of this task (the repository was created then; nothing new was created). Look at it on ${host}; delete it to start over`,
    );
  }
  if (/name already exists/i.test(message)) {
    return new ConflictError(
      `A repository named ${fullName} already exists on ${host}; choose another name (nothing was changed in it)`,
    );
  }
  if (
    (typeof status === 'number' && status >= 500) ||
    /\b5\d\d\b|Bad Gateway|Service Unavailable|ECONNRESET|ETIMEDOUT|fetch failed/i.test(
      withoutName,
    )
  ) {
    return new Error(
      `GitHub did not answer properly while creating ${fullName} (${message}). It may be a passing GitHub problem: run the template again; if ${fullName} was already created, the run stops with "already exists" and the platform team can delete the empty repository`,
    );
  }
  return error instanceof Error ? error : new Error(message);
}

/** GET /repos/{owner}/{repo}/branches/{branch}/protection; undefined on 404. */
export async function readBranchProtection(
  apiBaseUrl: string,
  token: string,
  { owner, repo, branch }: { owner: string; repo: string; branch: string },
): Promise<BranchProtection | undefined> {
  const res = await githubGet(
    apiBaseUrl,
    token,
    `/repos/${encodeURIComponent(owner)}/${encodeURIComponent(
      repo,
    )}/branches/${encodeURIComponent(branch)}/protection`,
  );
  if (res.status === 404) return undefined;
  if (res.status === 403) {
    throw new Error(
      `GitHub refused to show the protection of ${owner}/${repo}@${branch} (403): the organisation's plan may not offer branch protection for this repository's visibility (private repositories need GitHub Team or Enterprise), or the credentials lack Administration: read`,
    );
  }
  if (!res.ok) {
    throw new Error(
      `Could not read the protection of ${owner}/${repo}@${branch}: GitHub answered ${res.status}`,
    );
  }
  return (await res.json()) as BranchProtection;
}
