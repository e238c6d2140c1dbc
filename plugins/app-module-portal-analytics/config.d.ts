export interface Config {
  app?: {
    analytics?: {
      /** Google Analytics 4 (plugins/app-module-portal-analytics). */
      ga4?: {
        /**
         * Measurement id of the GA4 web data stream, `G-XXXXXXXXXX`. Unset
         * (production: GA4_MEASUREMENT_ID unset): no analytics, nothing is
         * loaded from Google, and the Content-Security-Policy does not allow
         * it.
         * @visibility frontend
         */
        measurementId?: string;
      };
    };
  };
}
