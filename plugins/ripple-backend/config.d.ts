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
    /** Rollouts: how approved patches reach consumers, in waves. */
    rollout?: {
      /** How often the rollout task checks waves (soak, health, auto-advance), in seconds. Default: 30. */
      intervalSeconds?: number;
      /**
       * The waves, in order: each a number of consumers (`count`) or a
       * cumulative percentage of them (`percent`, growing up to 100).
       * Default: a canary of one consumer, then 10%, 50%, 100%.
       */
      waves?: Array<{ name: string; count?: number; percent?: number }>;
      /** How long a wave soaks before the next one, in minutes. Default: 60. */
      soakMinutes?: number;
      /** Advance to the next wave after the soak when health holds. Default: true. */
      autoAdvance?: boolean;
      /** Deliver `rewritten` patches without a review, except for critical datasets. Default: false. */
      autoApprove?: boolean;
      /** Dataset entity refs whose patches always need a review. */
      criticalDatasets?: string[];
      /**
       * Refuse to start a rollout whose change has a compatibility view until
       * the view is applied (when no `ripple.compatView.connection` applies it).
       * Default: true.
       */
      requireCompatView?: boolean;
      /** The health gates: a consumer's signal beyond any of them is a breach. */
      health?: {
        maxErrorRate?: number;
        maxFreshnessMinutes?: number;
        minRowCount?: number;
        maxRowCountDrop?: number;
        maxFailedRuns?: number;
        /** A consumer without signals counts as a breach. */
        requireSignals?: boolean;
      };
      delivery?: {
        /**
         * The delivery method for consumers without a `ripple.io/delivery`
         * annotation (`download`, `git-branch`, `github-pull-request`, or one
         * a module adds). Default: download.
         */
        method?: string;
      };
    };
    /** Where Ripple applies compatibility views itself, instead of a person. */
    compatView?: {
      /** The knex client of the warehouse connection. Default: pg. */
      client?: string;
      /**
       * The knex connection (a connection string or object) to the dataset's
       * database.
       * @visibility secret
       */
      connection?: string | { [key: string]: unknown };
    };
  };
}
