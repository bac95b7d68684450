export interface Config {
  ripple?: {
    /** How approved patches reach consumers' repositories (docs/delivery.md). */
    delivery?: {
      /** The `git-branch` delivery method. */
      gitBranch?: {
        /**
         * Directories below which local repositories (a path or `file:` URL
         * in a consumer's `ripple.io/git-repository` annotation) may be
         * written to. Default: none, so only remote repositories are used.
         */
        localRoots?: string[];
        /** Who commits deliveries and reverts. Default `Ripple <ripple@backstage.local>`. */
        author?: {
          name: string;
          email: string;
        };
        /** Where temporary repositories are made. Default: the OS temporary directory. */
        workDir?: string;
      };
      /** The `github-pull-request` delivery method (credentials: `integrations.github`). */
      githubPullRequest?: {
        /** Open pull requests as drafts. Default false. */
        draft?: boolean;
      };
    };
  };
}
