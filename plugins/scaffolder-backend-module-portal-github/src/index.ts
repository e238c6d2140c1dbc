/**
 * The scaffolder action `portal:publish:github`: new GitHub repositories set
 * up as the organisation wants, from one place in app-config.
 *
 * @packageDocumentation
 */
export { scaffolderModulePortalGithub as default } from './module';
export {
  createPortalPublishGithubAction,
  explainGithubError,
  readBranchProtection,
  resolveGithubRepo,
} from './action';
export type { BranchProtection, PortalPublishGithubOptions } from './action';
export {
  checkTopic,
  DEFAULT_REPOSITORY_SETTINGS,
  publishGithubInput,
  readRepositorySettings,
  repositoryNameProblem,
} from './settings';
export type { RepositorySettings } from './settings';
