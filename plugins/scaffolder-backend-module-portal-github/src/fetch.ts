import { ScmIntegrationRegistry } from '@backstage/integration';
import { TemplateAction } from '@backstage/plugin-scaffolder-node';
import { checkFetchUrl, throwIfCancelled } from './guards';

/**
 * `portal:<id>` for one of upstream's fetch actions (`fetch:template`,
 * `fetch:plain`, ...): the same inputs and work, once the URL is checked to
 * lie in the template's own folder or under portal.scaffolder.allowedFetchUrls.
 * Upstream's fetch actions are for admins only (the portal's policy).
 */
export function createGuardedFetchAction(
  upstream: TemplateAction<any, any, any>,
  options: {
    integrations: ScmIntegrationRegistry;
    allowedFetchUrls: string[];
  },
): TemplateAction<any, any, any> {
  return {
    ...upstream,
    id: `portal:${upstream.id}`,
    description: `${
      upstream.description ?? upstream.id
    } Only from the template's own folder or portal.scaffolder.allowedFetchUrls.`,
    async handler(ctx) {
      checkFetchUrl(
        (ctx.input as { url: string }).url,
        ctx.templateInfo?.baseUrl,
        options.integrations,
        options.allowedFetchUrls,
      );
      throwIfCancelled(ctx.signal);
      await upstream.handler(ctx);
    },
  };
}
