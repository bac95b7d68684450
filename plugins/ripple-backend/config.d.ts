export interface Config {
  /** Ripple's backend. */
  ripple?: {
    /**
     * The `spec.type`s of the Resource entities that are datasets (that a
     * migration can change). Default: `[dataset]`.
     */
    datasetTypes?: string[];
    /**
     * The warehouses where datasets live, by id (a dataset names its own
     * with the `ripple.io/warehouse` annotation). Ripple runs read-only
     * queries there, within limits, and creates views only in its scratch
     * schema. Types: `duckdb` (embedded; `path` to the database file,
     * opened read-only), `postgres` (`connection`), `bigquery` (`projectId`,
     * a service account key) and `snowflake` (`account`, `user`, a private
     * key or an OAuth token); backend modules add others through
     * `rippleWarehouseExtensionPoint`.
     */
    warehouses?: {
      [id: string]: {
        type: string;
        /** DuckDB: the database file, relative to the backend's working directory. */
        path?: string;
        /**
         * Where Ripple's views go (BigQuery: a dataset; BigQuery and
         * Snowflake: it must exist). Default: `ripple_scratch`.
         */
        scratchSchema?: string;
        /** PostgreSQL: how to connect. */
        connection?: {
          host?: string;
          port?: number;
          user?: string;
          /** @visibility secret */
          password?: string;
          database?: string;
          /** node-postgres' `ssl` option; set it wherever the server is not on this host. */
          ssl?: boolean | { rejectUnauthorized?: boolean; ca?: string };
        };
        /** PostgreSQL: connections at most. Default: 2. */
        maxConnections?: number;
        /**
         * Who runs a migration's steps (docs/steps.md) on this warehouse:
         * `run`, Ripple itself (DuckDB and PostgreSQL only: the file is
         * made writable for a step's own duration, and a PostgreSQL step
         * has a connection of its own), or `hand-over`, a person, from the
         * SQL script Ripple writes, who marks each step done. `run` on
         * another type is a config error. Default: `hand-over`.
         */
        steps?: 'run' | 'hand-over';
        /** BigQuery: the project jobs run (and are billed) in. */
        projectId?: string;
        /** BigQuery: where jobs run (`US`, `EU`, a region). */
        location?: string;
        /**
         * BigQuery: a service account key, its JSON as an object or as text.
         * Without it or `keyFilename`, Application Default Credentials.
         * @visibility secret
         */
        credentials?: string | object;
        /** BigQuery: a service account key's file, instead of `credentials`. */
        keyFilename?: string;
        /** BigQuery: the API's root. Default: `https://bigquery.googleapis.com`; https only, except on a loopback address. */
        apiEndpoint?: string;
        /**
         * BigQuery: bytes a query may scan when the validation sets no cap,
         * estimated by a dry run before it runs. Default: 10 GiB.
         */
        maxBytes?: number;
        /** Snowflake: the account identifier (`myorg-myaccount`, or a locator). */
        account?: string;
        /** Snowflake: the account's URL. Default: `https://<account>.snowflakecomputing.com`; https only, except on a loopback address. */
        url?: string;
        /** Snowflake: the user Ripple connects as. */
        user?: string;
        /**
         * Snowflake: the user's private key (PEM, PKCS#8) for key-pair authentication.
         * @visibility secret
         */
        privateKey?: string;
        /**
         * Snowflake: the private key's passphrase, when it is encrypted.
         * @visibility secret
         */
        privateKeyPassphrase?: string;
        /**
         * Snowflake: an OAuth access token, instead of a key pair.
         * @visibility secret
         */
        token?: string;
        /** Snowflake: the virtual warehouse queries run on. */
        warehouse?: string;
        /** Snowflake: the role queries run as (SELECT on the datasets, CREATE VIEW on the scratch schema only). */
        role?: string;
        /** Snowflake: the database of the datasets and the scratch schema. */
        database?: string;
      };
    };
    /** Ripple's engine (docs/backend.md, "Engine workers"). */
    engine?: {
      /**
       * Worker threads that run the engine's analyses and rewrites (the
       * agent's proposals, the preview's), so that they do not hold up the
       * requests the backend serves. Each worker has its own WebAssembly
       * instance of the engine (about 40 MiB of RSS each; docs/backend.md).
       * `0` runs the engine inline, on the event loop. Default: the
       * number of cores (`os.availableParallelism()`).
       */
      workers?: number;
    };
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
      /**
       * The longest run of the agent's tasks (an analysis, a refresh), in
       * minutes: a run still going then stops between two consumers (an
       * analysis cut so starts again at the next run). It is also how long
       * the tasks wait after a backend died in the middle of a run.
       * Default: 30.
       */
      timeoutMinutes?: number;
      /**
       * The engine canary (docs/backend.md): when the backend runs an engine
       * version that did not make the open migrations' current patches, the
       * refresh re-analyses this sample with it and waits for an
       * administrator to accept the version before re-proposing the rest.
       */
      engineCanary?: {
        /** How many consumers with outdated patches, oldest migration first. Default: 5. */
        consumers?: number;
        /** Instead, every consumer of these migrations (their ids). */
        migrations?: string[];
      };
    };
    /**
     * The consumer index (docs/backend.md, "The consumer index"): what the
     * code of every catalog entity with a code location reads, from which
     * migrations, previews and dataset pages take their candidates.
     */
    index?: {
      /**
       * How often the catalog is scanned for entities added, changed or
       * removed, in minutes (also at startup). Default: 1.
       */
      scanMinutes?: number;
      /**
       * How often every location is asked whether its code changed (one
       * conditional request each), in minutes. Default: 5.
       */
      refreshMinutes?: number;
      /**
       * How often each replica looks for entities to index (new ones, and
       * those of a new engine version), in seconds. Default: 5.
       */
      intervalSeconds?: number;
      /**
       * How long a replica's claim on entities lasts, in minutes: those of
       * a replica that died are indexed by another after it. Default: 5.
       */
      leaseMinutes?: number;
      /** Code reads in flight at once, per replica. Default: 8. */
      concurrency?: number;
      /** Entities a replica claims at once. Default: 50. */
      batch?: number;
    };
    /**
     * Ripple's reads from SCM hosts (consumer code, dataset schemas, dbt
     * projects), through the backend's UrlReaderService (docs/backend.md,
     * "Rate limits"). A host is the host of the URL read: `github.com`, a
     * GitHub Enterprise or GitLab host.
     */
    scm?: {
      /** Reads in flight at once per host, for hosts `hosts` does not name. Default: 8. */
      concurrency?: number;
      /** Hosts with their own cap. */
      hosts?: Array<{
        /** The host, as in the URLs read (`ghe.example.com`, with `:port` if the URLs have one). */
        host: string;
        /** Reads in flight at once to this host. Default: `concurrency`. */
        concurrency?: number;
      }>;
      /**
       * The longest a read waits for its host's rate limit to reset, in
       * seconds; a read whose host resets later fails at once with an error
       * naming the host and the reset time. Default: 600.
       */
      maxWaitSeconds?: number;
      /**
       * The first wait after a rate-limit answer without a reset time (a
       * 429 without headers), in seconds; it doubles at each refusal, with
       * jitter, up to `maxWaitSeconds`. Default: 60 (GitHub's advice).
       */
      backoffSeconds?: number;
    };
    /**
     * Drafts from schema changes (docs/backend.md): a task reads every
     * dataset's schema and, when it changed in a way consumers notice,
     * drafts a migration and notifies the dataset's owners.
     */
    drafts?: {
      /** Whether the task runs. Default: false. */
      fromSchemaChanges?: boolean;
      /** How often it reads the datasets' schemas, in minutes (fractions allowed). Default: 5. */
      intervalMinutes?: number;
    };
    /**
     * Validation of patches on their dataset's warehouse
     * (docs/validation.md): the agent runs each consumer's old and patched
     * queries and compares their rows.
     */
    validation?: {
      /** How often it looks for patches to validate, in seconds. Default: 30. */
      intervalSeconds?: number;
      /** Validations running at once on one warehouse. Default: 2. */
      concurrencyPerWarehouse?: number;
      /** The longest a query may run, in seconds. Default: 60. */
      timeoutSeconds?: number;
      /** The most rows a query may return; more and its statement is skipped. Default: 100000. */
      maxRows?: number;
      /** The most bytes a query may scan (BigQuery) or return. Default: 268435456 (256 MiB). */
      maxBytes?: number;
      /**
       * Days of a time-partitioned table (BigQuery) a validation reads when
       * its dataset declares no `ripple.io/validation-sample`: its latest
       * partitions, the same on both sides. Default: 1.
       */
      sampleDays?: number;
      /**
       * After how many minutes a validation whose runner died (a crash) is
       * run again. Default: 10.
       */
      claimTimeoutMinutes?: number;
    };
    /** Health signals read from outside tools, and who hears of a breach (docs/health.md). */
    health?: {
      /**
       * The OpenLineage health provider: run events received at
       * `POST /api/ripple/api/v1/lineage`, their jobs mapped to consumers.
       * Present (even empty, `openLineage: {}`): the route and the provider
       * are on.
       */
      openLineage?: {
        /** Runs and job datasets not seen for this many days are deleted. Default: 30. */
        retentionDays?: number;
        /** How often the old runs are deleted, in minutes. Default: 360. */
        retentionIntervalMinutes?: number;
      };
      /**
       * Reads each consumer's error rate and latency from Prometheus's HTTP
       * API, with the PromQL its entity names
       * (`ripple.io/prometheus-error-rate`, `ripple.io/prometheus-latency`;
       * docs/health.md).
       */
      prometheus?: {
        /** Where Prometheus answers, such as http://prometheus:9090. */
        baseUrl: string;
        /**
         * Headers sent with each query (a bearer token for a managed
         * Prometheus, say).
         * @visibility secret
         */
        headers?: { [name: string]: string };
        /** How long one query may take, in seconds. Default: 10. */
        timeoutSeconds?: number;
      };
      /**
       * Alerts an on-call rotation when a consumer breaches a health gate
       * (besides its owners and the migration's owner, who are always
       * told): a Backstage notification of severity `critical` on its own
       * topic, which the notifications backend's processors can route to
       * email or chat (docs/rollout.md, "On-call alerts").
       */
      onCall?: {
        /** Entity refs to alert: a group (its members), users. */
        recipients: string[];
        /** The notification's topic. Default: ripple-on-call. */
        topic?: string;
      };
    };
    /**
     * Notifications to consumer owners (docs/backend.md, "Deadlines and
     * notifications"): a migration touching their entity, a patch awaiting
     * their review, a delivery merged, failed or rolled back, and deadline
     * reminders. Sent when the notifications backend runs in the backend.
     */
    notifications?: {
      /** How often the task records and sends notifications, in seconds. Default: 60. */
      intervalSeconds?: number;
      /**
       * How long before a migration's target date its pending consumers'
       * owners are reminded: offsets such as `7d`, `1d`, `12h`, `30m`.
       * Default: ['7d', '1d']; [] sends no reminders.
       */
      deadlineReminders?: string[];
      /**
       * An owner with more consumers than this due soon gets one digest a
       * week instead of a reminder per consumer. Default: 5.
       */
      digestThreshold?: number;
      /**
       * How long a notification claimed by a sender that died stays
       * claimed before another run sends it (with the same scope, so the
       * notifications backend keeps one), in minutes. Default: 10.
       */
      claimTimeoutMinutes?: number;
    };
    /** A migration's steps on the dataset's warehouse (docs/steps.md). */
    steps?: {
      /**
       * How long every consumer must be merged and healthy before the
       * contract may run. Default: 24.
       */
      retentionHours?: number;
      /** How often the runner looks for a step to run. Default: 5. */
      intervalSeconds?: number;
      /**
       * How long a runner's lease on a step lasts without renewal: a
       * runner killed mid-step is taken over after it. Default: 2.
       */
      leaseMinutes?: number;
      /** How long one run of the runner goes on before it stops between two batches. Default: 10. */
      timeoutMinutes?: number;
    };
    /** The rollout of approved patches (docs/rollout.md). */
    rollout?: {
      /** How often the rollout task delivers, syncs, reads health and advances, in seconds. Default: 30. */
      intervalSeconds?: number;
      /** How often each delivery's status is read back (merged, checks), at most, in minutes. Default: 5. */
      syncMinutes?: number;
      /**
       * The longest run of the rollout task, in minutes: a run still going
       * then stops between two deliveries, and the next run goes on. It is
       * also how long the rollout waits after a backend died in the middle
       * of a run. Default: 5.
       */
      timeoutMinutes?: number;
      /**
       * How long a consumer's claim by a delivery, sync or revert lasts, in
       * minutes, unless renewed. Its runner renews it every third of this
       * while it works (however long a method call takes), so only a
       * runner that died leaves it to run out: another runner takes the
       * consumer over this long after. Default: 2.
       */
      claimTimeoutMinutes?: number;
      /**
       * Deliveries that fail transiently (the network, a 5xx, a rate limit)
       * stay pending and are tried again after a backoff that starts at
       * `firstDelaySeconds` (default 60) and doubles up to `maxDelaySeconds`
       * (default 3600), or at the time the remote asked for (Retry-After, a
       * rate limit's reset; at most a day away), whichever is later.
       */
      retry?: { firstDelaySeconds?: number; maxDelaySeconds?: number };
      /**
       * The default waves: each `{name, count}` (that many more consumers)
       * or `{name, percent}` (up to that share of all, cumulative).
       * Default: canary of 1, then 10%, 50%, 100%.
       */
      waves?: Array<{ name: string; count?: number; percent?: number }>;
      /** How long a wave soaks with healthy signals before the next one, in minutes. Default: 60. */
      soakMinutes?: number;
      /**
       * How long after its wave started a delivery should be merged: one
       * not merged by then is overdue (shown in yellow). Default: 72.
       */
      mergeWithinHours?: number;
      /** Advance by itself after the soak time. Default: true. */
      autoAdvance?: boolean;
      /**
       * Deliver `rewritten` patches without a review. Never for a critical
       * dataset (annotation `ripple.io/critical: "true"` or
       * `criticalDatasets`). Default: false.
       */
      autoApprove?: boolean;
      /**
       * Make the validation of each consumer's current patch version (on
       * its dataset's warehouse, docs/validation.md) a condition of its
       * approval, its auto-approval, its delivery and its wave's advance:
       * it must have passed, or been skipped with its reason. A failed
       * validation in the active wave pauses the rollout. A start request
       * may say otherwise per migration (`plan.requireValidation`); before
       * a migration's rollout starts, this default is what its reviews
       * follow. Default: false (validation informs the reviewers and gates
       * nothing).
       */
      requireValidation?: boolean;
      /** Entity refs of datasets whose patches always need an approval. */
      criticalDatasets?: string[];
      /**
       * Refuse to start a rollout before the compatibility view (when the
       * change has one) is applied. Default: true.
       */
      requireCompatView?: boolean;
      /** The health gates; per migration they can be overridden at start. */
      health?: {
        /** Default: 0.05. */
        maxErrorRate?: number;
        /** Default: 1440. */
        maxFreshnessMinutes?: number;
        /** Default: 0. */
        minRowCount?: number;
        /** Largest drop of the row count from before the delivery (0-1). Default: 0.5. */
        maxRowCountDrop?: number;
        /** Default: 0. */
        maxFailedRuns?: number;
        /** Largest increase of the run duration from before the delivery (1: twice as long). Default: 1. */
        maxDurationIncrease?: number;
        /**
         * Largest rise of the error rate from before the delivery, in
         * points of the share (0.02: from 1% to 3%). Default: 1 (off).
         */
        maxErrorRateIncrease?: number;
        /** Advance only after a signal from every delivered consumer of the wave. Default: true. */
        requireSignals?: boolean;
      };
      delivery?: {
        /**
         * The delivery method of consumers without a `ripple.io/delivery`
         * annotation. Default: download.
         */
        method?: string;
      };
    };
    /** The compatibility views of migrations. */
    compatView?: {
      /**
       * A database connection through which the rollout applies the view
       * when it starts (development: the tests' PostgreSQL). A knex
       * connection string or object.
       * @visibility secret
       */
      connection?: string | object;
      /** The knex client of `connection`. Default: pg. */
      client?: string;
    };
  };
}
