import { LoggerService } from '@backstage/backend-plugin-api';
import {
  ANNOTATION_LOCATION,
  ANNOTATION_ORIGIN_LOCATION,
  Entity,
  getCompoundEntityRef,
  parseEntityRef,
  RELATION_API_CONSUMED_BY,
  RELATION_API_PROVIDED_BY,
  RELATION_CONSUMES_API,
  RELATION_PROVIDES_API,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import {
  CatalogProcessor,
  CatalogProcessorEmit,
  LocationSpec,
  processingResult,
} from '@backstage/plugin-catalog-node';
import { ANNOTATION_CONSUMED_BY, ANNOTATION_PROVIDED_BY } from './transform';

/** Where the provider's API entities come from: one bucket and prefix. */
export interface ApiDocsSource {
  bucket: string;
  prefix: string;
}

/**
 * The `url:` the provider writes into `backstage.io/managed-by-location` for
 * an object (transform.ts, specToEntity), here for the prefix.
 */
const bucketUrlPrefix = (source: ApiDocsSource) =>
  `https://storage.cloud.google.com/${source.bucket}/${encodeURI(
    source.prefix,
  )}`;

/**
 * Whether the entity was emitted by one of the bucket providers: its
 * location and origin location are both the URL of an object under a
 * configured bucket/prefix, as the provider writes them. Entities read from
 * a location (registered by a user, found in a repository) always carry the
 * location they were read from and the location that was registered, set by
 * the catalog whatever their file says, so they cannot pass this.
 */
export function isFromApiDocsBucket(
  entity: Entity,
  location: LocationSpec | undefined,
  sources: ApiDocsSource[],
): boolean {
  const annotations = entity.metadata.annotations ?? {};
  const own = annotations[ANNOTATION_LOCATION];
  const origin = annotations[ANNOTATION_ORIGIN_LOCATION];
  if (!own || own !== origin || !own.startsWith('url:')) return false;
  const target = own.slice('url:'.length);
  if (location && (location.type !== 'url' || location.target !== target)) {
    return false;
  }
  // No `.`/`..` segments (also percent-encoded) that would lead out of the prefix.
  const segments = target.split(/[?#]/)[0].split('/').slice(3);
  for (const segment of segments) {
    let decoded = segment;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      return false;
    }
    if (decoded === '.' || decoded === '..' || decoded.includes('\\')) {
      return false;
    }
  }
  return sources.some(source => {
    const prefix = bucketUrlPrefix(source);
    return target.startsWith(prefix) && target.length > prefix.length;
  });
}

/**
 * Links an API from the bucket to the components that provide or consume it
 * (the `api-docs/provided-by` / `api-docs/consumed-by` annotations the
 * provider writes), as if the components listed it in `providesApis` /
 * `consumesApis`: both directions, so the component's API cards show it.
 *
 * Only for entities the bucket providers emitted: anyone can write these
 * annotations into a catalog-info.yaml they register, and a component must
 * not list an API its owners never published. Such an entity gets no
 * relation and one warning naming it.
 */
export class ApiDocsRelationsProcessor implements CatalogProcessor {
  private readonly warned = new Set<string>();

  constructor(
    private readonly options: {
      sources: ApiDocsSource[];
      logger?: LoggerService;
    },
  ) {}

  getProcessorName() {
    return 'ApiDocsRelationsProcessor';
  }

  async postProcessEntity(
    entity: Entity,
    location: LocationSpec,
    emit: CatalogProcessorEmit,
  ): Promise<Entity> {
    if (entity.kind !== 'API') return entity;
    const annotations = entity.metadata.annotations ?? {};
    if (
      !annotations[ANNOTATION_PROVIDED_BY] &&
      !annotations[ANNOTATION_CONSUMED_BY]
    ) {
      return entity;
    }
    if (!isFromApiDocsBucket(entity, location, this.options.sources)) {
      this.warnOnce(entity);
      return entity;
    }
    const api = getCompoundEntityRef(entity);
    const link = (
      annotation: string,
      fromComponent: string,
      fromApi: string,
    ) => {
      const value = annotations[annotation];
      for (const ref of (value ?? '').split(',').map(s => s.trim())) {
        if (!ref) continue;
        const component = parseEntityRef(ref, {
          defaultKind: 'component',
          defaultNamespace: api.namespace,
        });
        emit(
          processingResult.relation({
            source: component,
            type: fromComponent,
            target: api,
          }),
        );
        emit(
          processingResult.relation({
            source: api,
            type: fromApi,
            target: component,
          }),
        );
      }
    };
    link(
      ANNOTATION_PROVIDED_BY,
      RELATION_PROVIDES_API,
      RELATION_API_PROVIDED_BY,
    );
    link(
      ANNOTATION_CONSUMED_BY,
      RELATION_CONSUMES_API,
      RELATION_API_CONSUMED_BY,
    );
    return entity;
  }

  /** Once per entity and process: the catalog processes it again every few minutes. */
  private warnOnce(entity: Entity) {
    const ref = stringifyEntityRef(entity);
    if (this.warned.has(ref)) return;
    if (this.warned.size > 10_000) this.warned.clear();
    this.warned.add(ref);
    this.options.logger?.warn(
      `${ref} carries ${ANNOTATION_PROVIDED_BY}/${ANNOTATION_CONSUMED_BY} but was not emitted by an API-docs bucket provider (location ${
        entity.metadata.annotations?.[ANNOTATION_ORIGIN_LOCATION] ?? 'unknown'
      }); no provides/consumes relations are made from these annotations`,
    );
  }
}
