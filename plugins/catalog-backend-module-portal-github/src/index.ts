/**
 * GitHub org members as catalog Users with the e-mail Okta sign-in matches on.
 *
 * @packageDocumentation
 */
export { catalogModulePortalGithubUsers as default } from './module';
export {
  createPortalUserTransformer,
  pickUserEmail,
  readPortalGithubUserOptions,
} from './userTransformer';
export type { EmailSource, PortalGithubUserOptions } from './userTransformer';
