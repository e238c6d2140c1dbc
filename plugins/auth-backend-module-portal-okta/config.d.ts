export interface Config {
  portal?: {
    okta?: {
      /**
       * Which Okta groups (the `groups` claim of the ID token) become
       * ownership references `group:default/<name>` in the user's Backstage
       * token. Also used to map `portal.authorization.adminGroup`.
       */
      groups?: {
        /**
         * Only Okta groups whose name starts with this prefix count. Default:
         * every group counts.
         */
        prefix?: string;
        /**
         * Remove `prefix` from the name before it becomes a group name.
         * Default: true.
         */
        stripPrefix?: boolean;
        /**
         * Explicit names, applied before the prefix filter: an Okta group
         * `okta` becomes `group` (a name such as `platform-team`, or a full
         * reference such as `group:default/platform-team`).
         */
        map?: Array<{ okta: string; group: string }>;
      };
    };
  };
}
