import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { catalogProcessingExtensionPoint } from '@backstage/plugin-catalog-node';
import { gcsSpecBucket } from './bucket';
import { CONFIG_ROOT, readGcsApiDocsConfigs } from './config';
import { GcsApiDocsProvider } from './provider';
import { ApiDocsRelationsProcessor } from './relations';
import { ScanStateStore } from './state';

/**
 * Catalog module: API specs in Cloud Storage (OpenAPI, AsyncAPI, GraphQL)
 * become API entities, one provider per `catalog.providers.gcsApiDocs`
 * instance, scanned on its schedule; the processor links them to the
 * components that provide or consume them.
 */
export const catalogModulePortalApiDocs = createBackendModule({
  pluginId: 'catalog',
  moduleId: 'portal-api-docs',
  register(env) {
    env.registerInit({
      deps: {
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        scheduler: coreServices.scheduler,
        database: coreServices.database,
        catalog: catalogProcessingExtensionPoint,
      },
      async init({ config, logger, scheduler, database, catalog }) {
        const { instances, off } = readGcsApiDocsConfigs(config);
        // Relations only for the entities these instances emit (not for
        // anything else carrying the annotations).
        catalog.addProcessor(
          new ApiDocsRelationsProcessor({
            sources: instances.map(({ bucket, prefix }) => ({
              bucket,
              prefix,
            })),
            logger,
          }),
        );
        for (const id of off) {
          logger.info(
            `API docs from Cloud Storage: ${CONFIG_ROOT} ${id} has no bucket (API_DOCS_BUCKET unset), so it is off`,
          );
        }
        if (!instances.length) return;
        // What the scans read, shared by all instances: the catalog's database.
        const store = await ScanStateStore.create(await database.getClient());
        for (const instance of instances) {
          const provider = new GcsApiDocsProvider(
            instance,
            gcsSpecBucket(instance),
            store,
            logger.child({ provider: `gcs-api-docs:${instance.id}` }),
            scheduler,
          );
          catalog.addEntityProvider(provider);
        }
      },
    });
  },
});
