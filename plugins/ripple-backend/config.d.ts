export interface Config {
  /** Ripple's backend. */
  ripple?: {
    /**
     * The `spec.type`s of the Resource entities that are datasets (that a
     * migration can change). Default: `[dataset]`.
     */
    datasetTypes?: string[];
  };
}
