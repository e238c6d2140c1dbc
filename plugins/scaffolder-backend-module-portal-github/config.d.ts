export interface Config {
  portal?: {
    scaffolder?: {
      /**
       * URL prefixes the portal's fetch actions (portal:fetch:*) may read
       * besides the template's own folder, e.g.
       * `https://github.com/acme/skeletons/`. Default: none.
       */
      allowedFetchUrls?: string[];
      github?: {
        /**
         * GitHub owners (organisations) templates may create repositories
         * in and open pull requests on. Default: the organisation of
         * repository discovery (GITHUB_ORG); none when that is unset.
         */
        allowedOwners?: string[];
        /**
         * How every repository the portal creates is set up (templates use
         * the `portal:publish:github` action, which applies these). The one
         * place the platform team edits; a value left out takes the default
         * shown.
         */
        repository?: {
          /** Default branch. Default `main`. */
          defaultBranch?: string;
          /** Visibility when the template does not ask. Default `private`. */
          visibility?: 'private' | 'internal' | 'public';
          /** Approving reviews a pull request needs on the default branch. Default 2. */
          requiredApprovingReviewCount?: number;
          /** A new push dismisses earlier approvals. Default true. */
          dismissStaleReviews?: boolean;
          /** Code owners must approve. Default false. */
          requireCodeOwnerReviews?: boolean;
          /** Status checks that must pass before merging. Default `[ci]`. */
          requiredStatusCheckContexts?: string[];
          /** Branches must be up to date before merging. Default true. */
          requireBranchesToBeUpToDate?: boolean;
          /** Conversations must be resolved before merging. Default true. */
          requiredConversationResolution?: boolean;
          /** The protection applies to administrators too. Default true. */
          enforceAdmins?: boolean;
          /** Wiki. Default false. */
          hasWiki?: boolean;
          /** Projects. Default false. */
          hasProjects?: boolean;
          /** Issues. Default true. */
          hasIssues?: boolean;
          /** Delete the head branch after a merge. Default true. */
          deleteBranchOnMerge?: boolean;
          /** Merge methods: squash only by default. */
          allowSquashMerge?: boolean;
          allowMergeCommit?: boolean;
          allowRebaseMerge?: boolean;
          /** Topics every new repository gets, next to the template's. Default none. */
          topics?: string[];
        };
      };
    };
  };
}
