import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import {
  DefaultGithubCredentialsProvider,
  ScmIntegrations,
} from '@backstage/integration';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  createFetchPlainAction,
  createFetchPlainFileAction,
  createFetchTemplateAction,
  createFetchTemplateFileAction,
} from '@backstage/plugin-scaffolder-backend';
import {
  createPublishGithubAction,
  createPublishGithubPullRequestAction,
  getOctokitOptions,
} from '@backstage/plugin-scaffolder-backend-module-github';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import {
  createPortalPublishGithubAction,
  readBranchProtection,
} from './action';
import { createGuardedFetchAction } from './fetch';
import {
  anyRepositoryPullRequestPermission,
  publicRepositoryPermission,
  readScaffolderGuards,
} from './guards';
import { createGuardedPullRequestAction } from './pullRequest';
import { readCollaboratorPermission } from './github';
import { readRepositorySettings } from './settings';
import { createTaskLogHardening } from './taskLogs';
import { withRefusalsLogged } from './refusals';

/**
 * Scaffolder module: the portal's actions. `portal:publish:github` creates
 * repositories with the organisation's settings; `portal:fetch:*` and
 * `portal:publish:github:pull-request` are upstream's actions behind the
 * portal's checks (fetch only from the template's own folder or an
 * allow-list; pull requests only where the user may push). Upstream's own
 * fetch and publish actions are for admins (the portal's policy).
 */
export const scaffolderModulePortalGithub = createBackendModule({
  pluginId: 'scaffolder',
  moduleId: 'portal-github',
  register(env) {
    env.registerInit({
      deps: {
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        reader: coreServices.urlReader,
        auth: coreServices.auth,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        httpRouter: coreServices.httpRouter,
        catalog: catalogServiceRef,
        scaffolder: scaffolderActionsExtensionPoint,
      },
      async init({
        config,
        logger,
        reader,
        auth,
        permissions,
        permissionsRegistry,
        httpRouter,
        catalog,
        scaffolder,
      }) {
        // In front of the scaffolder's routes (a module starts before its
        // plugin): task logs without stacks, invalid dry-runs answered 400.
        httpRouter.use(createTaskLogHardening());
        const integrations = ScmIntegrations.fromConfig(config);
        const credentialsProvider =
          DefaultGithubCredentialsProvider.fromIntegrations(integrations);
        const requireScmUserCredentials =
          config.getOptionalBoolean('scaffolder.requireScmUserCredentials') ??
          false;
        const guards = readScaffolderGuards(config);
        permissionsRegistry.addPermissions([
          publicRepositoryPermission,
          anyRepositoryPullRequestPermission,
        ]);
        const allowed =
          (permission: typeof publicRepositoryPermission) =>
          async (ctx: { getInitiatorCredentials(): Promise<any> }) => {
            const [decision] = await permissions.authorize([{ permission }], {
              credentials: await ctx.getInitiatorCredentials(),
            });
            return decision.result === AuthorizeResult.ALLOW;
          };
        /** The REST API base URL and the portal's token for a repository. */
        const githubApi = async (
          host: string,
          owner: string,
          repo: string,
        ): Promise<[string, string]> => {
          const { auth: token, baseUrl } = await getOctokitOptions({
            integrations,
            credentialsProvider,
            host,
            owner,
            repo,
          });
          return [baseUrl ?? 'https://api.github.com', String(token)];
        };

        const publish = createPublishGithubAction({
          integrations,
          config,
          githubCredentialsProvider: credentialsProvider,
          requireScmUserCredentials,
        });
        const fetchOptions = {
          integrations,
          allowedFetchUrls: guards.allowedFetchUrls,
        };
        const upstreamFetch = {
          reader,
          integrations,
          requireScmUserCredentials,
        };
        const actions = [
          createPortalPublishGithubAction({
            integrations,
            settings: readRepositorySettings(config),
            publish,
            guards,
            mayPublishPublic: allowed(publicRepositoryPermission),
            readProtection: async ({ host, owner, repo, branch }) =>
              readBranchProtection(...(await githubApi(host, owner, repo)), {
                owner,
                repo,
                branch,
              }),
          }),
          createGuardedFetchAction(
            createFetchTemplateAction(upstreamFetch),
            fetchOptions,
          ),
          createGuardedFetchAction(
            createFetchTemplateFileAction(upstreamFetch),
            fetchOptions,
          ),
          createGuardedFetchAction(
            createFetchPlainAction(upstreamFetch),
            fetchOptions,
          ),
          createGuardedFetchAction(
            createFetchPlainFileAction(upstreamFetch),
            fetchOptions,
          ),
          createGuardedPullRequestAction(
            createPublishGithubPullRequestAction({
              integrations,
              githubCredentialsProvider: credentialsProvider,
              config,
            }),
            {
              integrations,
              guards,
              access: {
                mayUseAnyRepository: allowed(
                  anyRepositoryPullRequestPermission,
                ),
                async githubLoginOf(ctx) {
                  const credentials = await ctx.getInitiatorCredentials();
                  if (!auth.isPrincipal(credentials, 'user')) return undefined;
                  const user = await catalog.getEntityByRef(
                    credentials.principal.userEntityRef,
                    { credentials: await auth.getOwnServiceCredentials() },
                  );
                  const login =
                    user?.metadata.annotations?.['github.com/user-login'];
                  return login || undefined;
                },
                repositoryPermission: async ({ host, owner, repo, login }) =>
                  readCollaboratorPermission(
                    ...(await githubApi(host, owner, repo)),
                    { owner, repo, login },
                  ),
              },
            },
          ),
        ];
        scaffolder.addActions(
          ...actions.map(action => withRefusalsLogged(action, logger)),
        );
      },
    });
  },
});
