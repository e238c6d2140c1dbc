export interface Config {
  portal?: {
    okta?: {
      /**
       * How an Okta user is matched to a catalog User, tried in this order:
       * profileEmail (spec.profile.email), oktaEmailAnnotation
       * (okta.com/email annotation), emailLocalPart (User named like the
       * e-mail's local part; only for allowedDomains). Default:
       * profileEmail, oktaEmailAnnotation.
       */
      userMatch?: Array<
        'profileEmail' | 'oktaEmailAnnotation' | 'emailLocalPart'
      >;
      /**
       * E-mail domains whose addresses emailLocalPart may match (required
       * when it is listed), e.g. [acme.com].
       */
      allowedDomains?: string[];
      /**
       * Let users that match no catalog User in, as
       * user:default/<e-mail local part> with their Okta groups, unless a
       * catalog User already has that name. Default: false.
       */
      dangerouslyAllowSignInWithoutUserInCatalog?: boolean;
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
