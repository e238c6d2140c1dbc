export interface Config {
  app?: {
    signIn?: {
      /**
       * Sign-in methods the sign-in page offers, in order. Known: `guest`.
       * Empty: the page says that no sign-in method is configured.
       * @visibility frontend
       */
      providers?: string[];
    };
  };
}
