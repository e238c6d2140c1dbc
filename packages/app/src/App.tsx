import { createApp } from '@backstage/frontend-defaults';
import catalogPlugin from '@backstage/plugin-catalog/alpha';
import { entityPagesModule } from './modules/entityPages';
import { navModule } from './modules/nav';
import { signInModule } from './modules/signIn';
import { themeModule } from './modules/theme';

/**
 * The portal's frontend. Plugins listed in package.json are discovered
 * (`app.packages: all`); the modules here add the portal's own parts.
 */
export default createApp({
  features: [
    catalogPlugin,
    navModule,
    themeModule,
    signInModule,
    entityPagesModule,
  ],
});
