import { HumanDuration } from '@backstage/types';

export interface Config {
  portal?: {
    csp?: {
      /**
       * Sources the browser may connect to (fetch, XHR, WebSocket) besides
       * the portal itself, added to `backend.csp.connect-src` at start-up
       * (e.g. `https://api.example.com` for an API's "Try it out"). Exact
       * origins, not schemes: production's connect-src is `'self'` plus these
       * (docs/configuration.md).
       */
      connectSrc?: string[];
    };
    /**
     * The migration job mode (PORTAL_MIGRATE_ONLY): start every plugin, which
     * runs its database migrations, then shut down with exit 0 (exit 1 when
     * a plugin fails to start). Default false: serve.
     */
    migrateOnly?: boolean | string;
    secrets?: {
      /**
       * How often contract variables holding a Secret Manager reference
       * (`sm://<project>/<secret>`, not pinned to a version number) are read
       * again (default 10 minutes; 0 or false: never). A rotated value
       * reloads the configuration: whatever reads it live sees the new one.
       */
      refreshInterval?: HumanDuration | string | number | false;
    };
    cache?: {
      /**
       * The longest a cache operation may take (default 500 ms). A slower or
       * failed read is a miss, a slower write is given up, so requests go on
       * while Redis (REDIS_URL) is away.
       */
      timeout?: HumanDuration | string;
    };
    github?: {
      /**
       * A scheduled GitHub sync (teams and members, repository discovery)
       * that hits a rate limit waits as GitHub's headers say
       * (`x-ratelimit-reset`, `retry-after`) and runs again, instead of
       * leaving the work to its next scheduled run.
       */
      rateLimit?: {
        /** The longest wait for a reset (default 15 minutes); a reset
         * further away is left to the next scheduled run. */
        maxWait?: HumanDuration | string;
        /** Runs of one scheduled invocation at most, the first included
         * (default 3). */
        maxRuns?: number;
      };
    };
  };
}
