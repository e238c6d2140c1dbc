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
    };
  };
}
