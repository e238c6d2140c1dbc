/**
 * GitHub org members as catalog Users with the e-mail Okta sign-in matches on;
 * new repositories discovered on their `repository.created` webhook.
 *
 * @packageDocumentation
 */
export { catalogModulePortalGithub as default } from './module';
export {
  NewRepositorySync,
  readDiscoveryTasks,
  readNewRepositorySyncTiming,
} from './newRepositories';
export type { NewRepositorySyncOptions } from './newRepositories';
export {
  createPortalUserTransformer,
  pickUserEmail,
  readPortalGithubUserOptions,
} from './userTransformer';
export type { EmailSource, PortalGithubUserOptions } from './userTransformer';
