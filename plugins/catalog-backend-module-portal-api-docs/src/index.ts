/**
 * API specs (OpenAPI, AsyncAPI, GraphQL) in Cloud Storage as catalog API
 * entities, linked to the components that provide or consume them.
 *
 * @packageDocumentation
 */
export { catalogModulePortalApiDocs as default } from './module';
export {
  gcsSpecBucket,
  describeStorageError,
  UnreadableSpecError,
} from './bucket';
export { ScanStateStore } from './state';
export type { ObjectState } from './state';
export type { ListedObject, SpecBucket } from './bucket';
export { readGcsApiDocsConfigs } from './config';
export type { GcsApiDocsConfig } from './config';
export { GcsApiDocsProvider } from './provider';
export type { ScanSummary } from './provider';
export { ApiDocsRelationsProcessor } from './relations';
export {
  ANNOTATION_CONSUMED_BY,
  ANNOTATION_GENERATION,
  ANNOTATION_PROVIDED_BY,
  ANNOTATION_SOURCE,
  ANNOTATION_VERSION,
  formatOf,
  pathConvention,
  specToEntity,
} from './transform';
export type {
  SpecObject,
  TransformOptions,
  TransformResult,
} from './transform';
