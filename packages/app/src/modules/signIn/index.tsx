import { createFrontendModule } from '@backstage/frontend-plugin-api';
import { SignInPageBlueprint } from '@backstage/plugin-app-react';

const signInPage = SignInPageBlueprint.make({
  params: {
    loader: async () => (await import('./SignInPage')).SignInPage,
  },
});

/** Sign-in page offering the methods listed in `app.signIn.providers`. */
export const signInModule = createFrontendModule({
  pluginId: 'app',
  extensions: [signInPage],
});
