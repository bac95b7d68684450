export interface Config {
  ripple?: {
    /** The catalog module (`@ripple/backstage-plugin-catalog-backend-module-ripple`). */
    catalog?: {
      /**
       * How long the module reuses Ripple's summary before asking for it
       * again (a conditional request, answered 304 when nothing changed), in
       * seconds. Default: 30.
       */
      summaryTtlSeconds?: number;
    };
  };
}
