import {
  configApiRef,
  createFrontendModule,
} from '@backstage/frontend-plugin-api';
import { AnalyticsImplementationBlueprint } from '@backstage/plugin-app-react';
import { Ga4Analytics } from './Ga4Analytics';

/** Google Analytics 4 as one of the app's analytics implementations. */
export const ga4AnalyticsImplementation = AnalyticsImplementationBlueprint.make(
  {
    name: 'ga4',
    params: defineParams =>
      defineParams({
        deps: { configApi: configApiRef },
        factory: ({ configApi }) => Ga4Analytics.fromConfig(configApi),
      }),
  },
);

/**
 * Analytics for the app plugin: Google Analytics 4 when
 * `app.analytics.ga4.measurementId` is set (see config.d.ts).
 */
export const appModulePortalAnalytics = createFrontendModule({
  pluginId: 'app',
  extensions: [ga4AnalyticsImplementation],
});
