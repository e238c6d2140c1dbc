import { HumanDuration } from '@backstage/types';

export interface Config {
  portal?: {
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
