/*
 * Composition root of the portal backend: which features run, nothing else.
 * Behaviour lives in packages/backend-services and plugins/*.
 */
import { createBackend } from '@backstage/backend-defaults';
import {
  portalCacheServiceFactory,
  portalGuestSignIn,
  portalLoggerServiceFactory,
  portalMigrateOnly,
  portalPermissionsServiceFactory,
  portalRootConfigServiceFactory,
  portalRootLoggerServiceFactory,
  portalRootHttpRouterServiceFactory,
  portalSchedulerServiceFactory,
  writeStartupLog,
} from '@internal/backend-services';

const backend = createBackend();

// Service overrides: config with the deployment-contract check, Cloud
// Logging's JSON format in production (severity, trace, httpRequest), the
// cache in Redis with REDIS_URL (bounded when Redis is away), connection
// draining on SIGTERM, permission denials logged, failed GitHub calls logged
// with their organisation and step, GitHub rate limits waited out by the
// scheduled syncs.
backend.add(portalRootConfigServiceFactory);
backend.add(portalRootLoggerServiceFactory);
backend.add(portalLoggerServiceFactory);
backend.add(portalSchedulerServiceFactory);
backend.add(portalCacheServiceFactory);
backend.add(portalRootHttpRouterServiceFactory);
backend.add(portalPermissionsServiceFactory);
// PORTAL_MIGRATE_ONLY=true: the migration job (migrate, then exit 0).
backend.add(portalMigrateOnly);

// Serves the built frontend (packages/app) from the same process.
backend.add(import('@backstage/plugin-app-backend'));

// Sign-in: Okta (production), guest (local development).
backend.add(import('@backstage/plugin-auth-backend'));
backend.add(
  import('@internal/backstage-plugin-auth-backend-module-portal-okta'),
);
// Guest: not loaded in production (NODE_ENV=production) unless the config sets
// auth.providers.guest.dangerouslyAllowOutsideDevelopment (the demo layer).
backend.add(portalGuestSignIn);

// Events: catalog and other plugins share events across instances through the
// database. GitHub webhooks arrive at /api/events/http/github (signed only).
backend.add(import('@backstage/plugin-events-backend'));
backend.add(
  import('@internal/backstage-plugin-events-backend-module-portal-github'),
);

// Catalog.
backend.add(import('@backstage/plugin-catalog-backend'));
backend.add(
  import('@backstage/plugin-catalog-backend-module-scaffolder-entity-model'),
);
backend.add(import('@backstage/plugin-catalog-backend-module-logs'));
// What users may register: url locations under the organisation's GitHub
// only; file locations only from catalog.locations (docs/security.md).
backend.add(
  import('@internal/backstage-plugin-catalog-backend-module-portal-locations'),
);
// GitHub: teams and members (org provider, Users carry the e-mail Okta sign-in
// matches), repositories holding catalog-info.yaml (discovery). Off without
// GITHUB_ORG and credentials (docs/github.md).
backend.add(import('@backstage/plugin-catalog-backend-module-github-org'));
backend.add(
  import('@internal/backstage-plugin-catalog-backend-module-portal-github'),
);
backend.add(import('@backstage/plugin-catalog-backend-module-github'));

// API specs in Cloud Storage (API_DOCS_BUCKET) as API entities, linked to the
// components that provide or consume them (docs/api-docs.md).
backend.add(
  import('@internal/backstage-plugin-catalog-backend-module-portal-api-docs'),
);

// Permissions: the portal's own policy (Okta groups, owners, admins).
backend.add(import('@backstage/plugin-permission-backend'));
backend.add(
  import('@internal/backstage-plugin-permission-backend-module-portal-policy'),
);

// Scaffolder.
backend.add(import('@backstage/plugin-scaffolder-backend'));
backend.add(import('@backstage/plugin-scaffolder-backend-module-github'));
// portal:publish:github: new repositories with the organisation's settings
// (portal.scaffolder.github.repository in app-config).
backend.add(
  import('@internal/backstage-plugin-scaffolder-backend-module-portal-github'),
);

// Search: PostgreSQL engine when the database is PostgreSQL, in-memory otherwise.
backend.add(import('@backstage/plugin-search-backend'));
backend.add(import('@backstage/plugin-search-backend-module-pg'));
backend.add(import('@backstage/plugin-search-backend-module-catalog'));

// User settings, pushed live to open browsers through signals.
backend.add(import('@backstage/plugin-user-settings-backend'));
backend.add(import('@backstage/plugin-signals-backend'));

// A start-up failure (e.g. a missing contract variable) must end the process,
// whatever handlers plugins registered, so Cloud Run sees the failure.
backend.start().catch(error => {
  writeStartupLog('ERROR', 'Backend failed to start up:', error);
  process.exit(1);
});
