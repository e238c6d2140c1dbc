import { NotAllowedError } from '@backstage/errors';
import { ScmIntegrationRegistry } from '@backstage/integration';
import { TemplateAction } from '@backstage/plugin-scaffolder-node';
import { resolveGithubRepo } from './action';
import { checkOwner, ScaffolderGuards, throwIfCancelled } from './guards';

/** What the pull-request guard needs to know about the task's user. */
export interface PullRequestAccess {
  /** Whether the user may open pull requests anywhere (admins). */
  mayUseAnyRepository(ctx: {
    getInitiatorCredentials(): Promise<any>;
  }): Promise<boolean>;
  /** The user's GitHub login (from their catalog User), if any. */
  githubLoginOf(ctx: {
    getInitiatorCredentials(): Promise<any>;
  }): Promise<string | undefined>;
  /** The login's permission on the repository, as GitHub reports it (admin, write, read, none). */
  repositoryPermission(repo: {
    host: string;
    owner: string;
    repo: string;
    login: string;
  }): Promise<string>;
}

/**
 * `portal:publish:github:pull-request`: upstream's `publish:github:pull-request`
 * (the import template's step), run with the portal's GitHub credentials
 * only where the user could push themselves: the organisation is on the
 * allow-list, and the user's own GitHub account (the catalog User's
 * `github.com/user-login`) has write access to the repository, unless the
 * user is an admin.
 */
export function createGuardedPullRequestAction(
  upstream: TemplateAction<any, any, any>,
  options: {
    integrations: ScmIntegrationRegistry;
    guards: ScaffolderGuards;
    access: PullRequestAccess;
  },
): TemplateAction<any, any, any> {
  const { integrations, guards, access } = options;
  return {
    ...upstream,
    id: 'portal:publish:github:pull-request',
    description:
      "Opens a pull request with the workspace's files, only on repositories of the organisation the user may push to.",
    async handler(ctx) {
      const { host, owner, repo } = resolveGithubRepo(
        (ctx.input as { repoUrl: string }).repoUrl,
        integrations,
      );
      checkOwner(owner, guards);
      throwIfCancelled(ctx.signal);
      if (!(await access.mayUseAnyRepository(ctx))) {
        const login = await access.githubLoginOf(ctx);
        if (!login) {
          throw new NotAllowedError(
            `Your catalog user has no GitHub account (annotation github.com/user-login), so the portal cannot tell whether you may change ${owner}/${repo}; ask the repository's owners or an admin`,
          );
        }
        throwIfCancelled(ctx.signal);
        const permission = await access.repositoryPermission({
          host,
          owner,
          repo,
          login,
        });
        if (permission !== 'admin' && permission !== 'write') {
          throw new NotAllowedError(
            `Your GitHub account ${login} may not push to ${owner}/${repo}, so the portal does not open a pull request there for you`,
          );
        }
      }
      throwIfCancelled(ctx.signal);
      await upstream.handler(ctx);
    },
  };
}
