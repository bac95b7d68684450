export interface Config {
  /** Ripple's backend. */
  ripple?: {
    /**
     * The `spec.type`s of the Resource entities that are datasets (that a
     * migration can change). Default: `[dataset]`.
     */
    datasetTypes?: string[];
    /** The background agent. */
    agent?: {
      /** How often it looks for migrations to analyse, in seconds. Default: 10. */
      intervalSeconds?: number;
      /**
       * How often it re-reads the code of consumers with patches, to replace
       * stale ones, in minutes. Default: 5.
       */
      refreshMinutes?: number;
      /**
       * Also read the code of entities that do not declare they depend on the
       * dataset, to find consumers the catalog does not know. Default: true.
       */
      searchCode?: boolean;
    };
  };
}
