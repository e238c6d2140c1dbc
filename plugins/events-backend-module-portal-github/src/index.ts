/**
 * GitHub webhooks for the events backend, rejecting unsigned deliveries with 401.
 *
 * @packageDocumentation
 */
export { eventsModulePortalGithubWebhook as default } from './module';
export { readGithubWebhookSecrets } from './module';
export { isValidGithubSignature } from './signature';
