export interface Config {
  portal?: {
    okta?: {
      /**
       * How an Okta user is matched to a catalog User, tried in this order:
       * profileEmail (spec.profile.email), oktaEmailAnnotation
       * (okta.com/email annotation), emailLocalPart (User named like the
       * e-mail's local part; only for allowedDomains). Default:
       * profileEmail, oktaEmailAnnotation. The User found must carry the
       * e-mail (or, for emailLocalPart, the name), else sign-in is refused.
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
       * How long Okta counts as reachable after the sign-in start's probe of
       * its discovery document got an answer, in seconds (per instance).
       * Default 60; 0 probes on every start.
       */
      reachabilityCacheSeconds?: number;
      /**
       * Which Okta groups (the `groups` claim of the ID token) become
       * ownership references in the user's Backstage token, and make the
       * user a portal member (role:portal/member). Production refuses to
       * start without a prefix or map entries.
       */
      groups?: {
        /**
         * Only Okta groups whose name starts with this prefix count
         * (OKTA_GROUP_PREFIX). Without one (outside production): every group
         * but Okta's built-in Everyone.
         */
        prefix?: string;
        /**
         * Remove `prefix` from the name before it becomes a group name.
         * Default: true.
         */
        stripPrefix?: boolean;
        /**
         * Namespace of the references made from prefixed groups:
         * `group:<namespace>/<name>`. Reserved for Okta: references in it
         * that the catalog gives a user are dropped from the token. Not
         * `default`. Default: okta.
         */
        namespace?: string;
        /**
         * Explicit names, applied before the prefix filter: an Okta group
         * `okta` becomes `group` (a name such as `platform-team`, meaning
         * group:default/platform-team, or a full reference such as
         * `group:ops/sre`).
         */
        map?: Array<{ okta: string; group: string }>;
      };
    };
    auth?: {
      /**
       * Rate limit on `/api/auth/<provider>/start` (the unauthenticated
       * request that begins a sign-in) per client address (the last
       * X-Forwarded-For entry, else the socket; IPv6 by /64), counted in
       * each instance's memory. Over the limit: 429 with Retry-After.
       */
      startRateLimit?: {
        /** Starts per client and window. Default 30. */
        limit?: number;
        /** The window in seconds. Default 60. */
        windowSeconds?: number;
        /** Client addresses remembered at most. Default 10000. */
        maxClients?: number;
      };
    };
  };
}
