/**
 * Google Analytics 4 for the portal's frontend.
 *
 * @packageDocumentation
 */
export { appModulePortalAnalytics as default } from './module';
