import { HumanDuration } from '@backstage/types';

export interface Config {
  portal?: {
    github?: {
      /**
       * GitHub login -> e-mail for members GitHub shows no organisation
       * e-mail for (no verified domain, GitHub App credentials). Wins over
       * what GitHub reports. The e-mail is what Okta sign-in matches on.
       */
      userEmails?: { [login: string]: string };
      /**
       * The organisation's e-mail domains: a verified-domain address in one
       * of them is preferred; a public profile address elsewhere is ignored.
       * Default: portal.okta.allowedDomains, else any.
       */
      emailDomains?: string[];
      /**
       * A `repository.created` webhook starts repository discovery (the
       * `catalog.providers.github` sync of that organisation) after `delay`
       * (default 10 s), so a repository created with catalog-info.yaml (from
       * a template repository, an import) appears without waiting for the next full
       * sync. Creations within the delay share one sync; a sync running at
       * that moment is asked again every `retryInterval` (default 30 s), at
       * most `maxAttempts` times (default 20).
       */
      newRepositorySync?: {
        delay?: HumanDuration | string;
        retryInterval?: HumanDuration | string;
        maxAttempts?: number;
      };
    };
  };
}
