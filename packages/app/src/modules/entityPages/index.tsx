import { createFrontendModule } from '@backstage/frontend-plugin-api';
import { EntityContentBlueprint } from '@backstage/plugin-catalog-react/alpha';

/**
 * A "Dependencies" tab on component pages (services, websites, libraries).
 * Overview, APIs (provided and consumed), definition and relation cards come
 * from the catalog, api-docs, catalog-graph and org plugins themselves.
 */
const dependenciesContent = EntityContentBlueprint.make({
  name: 'dependencies',
  params: {
    path: '/dependencies',
    title: 'Dependencies',
    filter: { kind: 'component' },
    loader: async () => {
      const { DependenciesContent } = await import('./DependenciesContent');
      return <DependenciesContent />;
    },
  },
});

export const entityPagesModule = createFrontendModule({
  pluginId: 'catalog',
  extensions: [dependenciesContent],
});
