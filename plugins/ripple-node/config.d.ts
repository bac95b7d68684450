export interface Config {
  ripple?: {
    /** How approved patches reach consumers' repositories (docs/delivery.md). */
    delivery?: {};
  };
}
