export interface Config {
  portal?: {
    catalog?: {
      locations?: {
        /**
         * URL prefixes users may register catalog locations under
         * (`POST /api/catalog/locations`, the import flow's
         * `/analyze-location`), e.g. `https://github.com/acme/`. A target
         * must have a prefix's scheme, host and port, no user name or
         * password, and a path (after `.`/`..` are resolved) starting with
         * the prefix's path (which always ends with `/`; compared
         * case-insensitively). Only type `url` is accepted.
         *
         * Unset: `https://<host>/<org>/` for each organisation the GitHub
         * providers read (`catalog.providers.github[.<id>].organization`,
         * `catalog.providers.githubOrg[].orgs`); with none (local
         * development) `https://<host>/` for each `integrations.github`
         * host. An empty list turns registration off.
         */
        allowedUrls?: string[];
      };
    };
  };
}
