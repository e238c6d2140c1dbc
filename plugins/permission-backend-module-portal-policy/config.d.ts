export interface Config {
  portal?: {
    authorization?: {
      /**
       * The Okta group whose members administer the portal (OKTA_ADMIN_GROUP),
       * matched exactly (case-sensitive) against the `groups` claim of the
       * verified Okta ID token; catalog groups never count. Admins may
       * change and unregister any entity, delete locations, see every
       * template, run every scaffolder action and see every task. Unset:
       * nobody is admin.
       */
      adminGroup?: string;
      /**
       * The Okta group whose members write templates
       * (OKTA_TEMPLATE_AUTHOR_GROUP): they may use the scaffolder's dry-run
       * (template editor). Exact name, like adminGroup. Unset: admins only.
       */
      templateAuthorGroup?: string;
      /**
       * Roles of the guest user (auth.providers.guest.userEntityRef) where
       * guest sign-in is on: local development, or the demo layer with
       * dangerouslyAllowOutsideDevelopment. Ignored in production.
       */
      guestRoles?: Array<'admin' | 'member' | 'templateAuthor'>;
    };
  };
}
