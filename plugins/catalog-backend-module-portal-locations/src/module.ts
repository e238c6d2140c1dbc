import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { catalogProcessingExtensionPoint } from '@backstage/plugin-catalog-node';
import { readAllowedUrlPrefixes } from './allowList';
import { ConfigOnlyFileLocationsProcessor } from './fileLocations';
import { createRegistrationGuard } from './registration';

/**
 * Catalog module: what users may register. `POST /api/catalog/locations`
 * and `/analyze-location` accept only `url` targets under the
 * organisation's GitHub (`portal.catalog.locations.allowedUrls`), and
 * Location entities that read the server's files are accepted only from the
 * portal's configuration. Which kinds a registered location may create is
 * upstream's `catalog.rules` (docs/security.md).
 */
export const catalogModulePortalLocations = createBackendModule({
  pluginId: 'catalog',
  moduleId: 'portal-locations',
  register(env) {
    env.registerInit({
      deps: {
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        httpRouter: coreServices.httpRouter,
        httpAuth: coreServices.httpAuth,
        auth: coreServices.auth,
        catalog: catalogProcessingExtensionPoint,
      },
      async init({ config, logger, httpRouter, httpAuth, auth, catalog }) {
        const { prefixes, source } = readAllowedUrlPrefixes(config);
        const why = {
          config: 'portal.catalog.locations.allowedUrls',
          organisation: "the GitHub providers' organisations",
          integrations:
            'no GitHub organisation configured: any repository on the integrations.github hosts',
        }[source];
        logger.info(
          prefixes.length
            ? `Users may register catalog locations under ${prefixes
                .map(p => p.text)
                .join(', ')} (${why})`
            : 'Users may not register catalog locations: portal.catalog.locations.allowedUrls is empty',
        );
        httpRouter.use(
          createRegistrationGuard({
            allowed: prefixes,
            httpAuth,
            auth,
            logger,
          }),
        );
        catalog.addProcessor(
          new ConfigOnlyFileLocationsProcessor({ config, logger }),
        );
      },
    });
  },
});
