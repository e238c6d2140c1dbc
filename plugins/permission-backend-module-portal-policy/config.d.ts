export interface Config {
  portal?: {
    authorization?: {
      /**
       * The Okta group whose members administer the portal (OKTA_ADMIN_GROUP):
       * they may create, refresh and unregister any entity, delete locations
       * and see every template. Mapped to a Backstage group like the groups
       * of a signed-in user (portal.okta.groups). Unset: nobody is admin.
       */
      adminGroup?: string;
    };
  };
}
