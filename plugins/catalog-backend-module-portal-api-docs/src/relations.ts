import {
  Entity,
  getCompoundEntityRef,
  parseEntityRef,
  RELATION_API_CONSUMED_BY,
  RELATION_API_PROVIDED_BY,
  RELATION_CONSUMES_API,
  RELATION_PROVIDES_API,
} from '@backstage/catalog-model';
import {
  CatalogProcessor,
  CatalogProcessorEmit,
  LocationSpec,
  processingResult,
} from '@backstage/plugin-catalog-node';
import { ANNOTATION_CONSUMED_BY, ANNOTATION_PROVIDED_BY } from './transform';

/**
 * Links an API from the bucket to the components that provide or consume it
 * (the `api-docs/provided-by` / `api-docs/consumed-by` annotations the
 * provider writes), as if the components listed it in `providesApis` /
 * `consumesApis`: both directions, so the component's API cards show it.
 */
export class ApiDocsRelationsProcessor implements CatalogProcessor {
  getProcessorName() {
    return 'ApiDocsRelationsProcessor';
  }

  async postProcessEntity(
    entity: Entity,
    _location: LocationSpec,
    emit: CatalogProcessorEmit,
  ): Promise<Entity> {
    if (entity.kind !== 'API') return entity;
    const api = getCompoundEntityRef(entity);
    const link = (
      annotation: string,
      fromComponent: string,
      fromApi: string,
    ) => {
      const value = entity.metadata.annotations?.[annotation];
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
}
