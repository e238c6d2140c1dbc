/*
 * Google Analytics 4 through gtag.js. Without a measurement id
 * (`app.analytics.ga4.measurementId` absent) nothing is loaded and events
 * are dropped.
 */
import type {
  AnalyticsEvent,
  AnalyticsImplementation,
  ConfigApi,
} from '@backstage/frontend-plugin-api';
import { isMeasurementId, toGa4Event } from './ga4Event';

export const GTAG_URL = 'https://www.googletagmanager.com/gtag/js';

type GtagWindow = Window & {
  dataLayer?: unknown[];
  gtag?: (...args: unknown[]) => void;
};

const noAnalytics: AnalyticsImplementation = { captureEvent() {} };

export class Ga4Analytics implements AnalyticsImplementation {
  /**
   * The implementation for the app's configuration: GA4 when
   * `app.analytics.ga4.measurementId` is a measurement id, otherwise one that
   * does nothing (and loads nothing).
   */
  static fromConfig(
    config: ConfigApi,
    options: { window?: Window } = {},
  ): AnalyticsImplementation {
    const id = config.getOptionalString('app.analytics.ga4.measurementId');
    if (!isMeasurementId(id)) {
      return noAnalytics;
    }
    return new Ga4Analytics(id, options.window ?? window);
  }

  private readonly gtag: (...args: unknown[]) => void;

  private constructor(measurementId: string, private readonly win: GtagWindow) {
    // Google's snippet, without an inline script (the CSP allows none).
    const dataLayer = (win.dataLayer = win.dataLayer ?? []);
    this.gtag =
      win.gtag ??
      function gtag() {
        // gtag.js reads Arguments objects from the data layer, not arrays.
        // eslint-disable-next-line prefer-rest-params
        dataLayer.push(arguments);
      };
    win.gtag = this.gtag;
    this.gtag('js', new Date());
    // Page views are sent for the app's navigate events, one per route
    // change, so gtag's own (first page only) is off.
    this.gtag('config', measurementId, { send_page_view: false });
    const doc = win.document;
    const src = `${GTAG_URL}?id=${encodeURIComponent(measurementId)}`;
    if (!doc.querySelector(`script[src="${src}"]`)) {
      const script = doc.createElement('script');
      script.async = true;
      script.src = src;
      doc.head.appendChild(script);
    }
  }

  /** Path of the last page view sent. */
  private lastPage: string | number | undefined;

  captureEvent(event: AnalyticsEvent): void {
    const { name, params } = toGa4Event(event, this.win.location.origin);
    if (name === 'page_view') {
      // The app tracks a route again when only its context changes (the
      // sign-in page, then the page behind it): one page view per path.
      if (params.page_path === this.lastPage) return;
      this.lastPage = params.page_path;
    }
    this.gtag('event', name, params);
  }
}
