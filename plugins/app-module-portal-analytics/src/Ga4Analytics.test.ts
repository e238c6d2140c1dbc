import { ConfigReader } from '@backstage/config';
import { Ga4Analytics, GTAG_URL } from './Ga4Analytics';

const gtagScripts = () =>
  Array.from(document.querySelectorAll('script')).filter(s =>
    s.src.startsWith(GTAG_URL),
  );

describe('Ga4Analytics', () => {
  afterEach(() => {
    gtagScripts().forEach(s => s.remove());
    const w = window as any;
    delete w.dataLayer;
    delete w.gtag;
  });

  it('loads nothing without a measurement id', () => {
    for (const data of [
      {},
      { app: { analytics: { ga4: {} } } },
      { app: { analytics: { ga4: { measurementId: 'not-an-id' } } } },
    ]) {
      const analytics = Ga4Analytics.fromConfig(new ConfigReader(data));
      analytics.captureEvent({
        action: 'navigate',
        subject: '/',
        context: { pluginId: 'app', extensionId: 'app' },
      });
    }
    expect(gtagScripts()).toHaveLength(0);
    expect((window as any).dataLayer).toBeUndefined();
    expect((window as any).gtag).toBeUndefined();
  });

  it('loads gtag.js once and puts events on the data layer as gtag calls', () => {
    const config = new ConfigReader({
      app: { analytics: { ga4: { measurementId: 'G-TEST123' } } },
    });
    const analytics = Ga4Analytics.fromConfig(config);
    Ga4Analytics.fromConfig(config);
    expect(gtagScripts().map(s => s.src)).toEqual([`${GTAG_URL}?id=G-TEST123`]);
    expect(gtagScripts()[0].async).toBe(true);

    analytics.captureEvent({
      action: 'navigate',
      subject: '/catalog',
      context: { pluginId: 'catalog', extensionId: 'page:catalog' },
    });
    // The same route again (its context changed, e.g. after sign-in): no
    // second page view.
    analytics.captureEvent({
      action: 'navigate',
      subject: '/catalog',
      context: { pluginId: 'app', extensionId: 'app/root' },
    });
    analytics.captureEvent({
      action: 'search',
      subject: 'payments',
      value: 2,
      context: { pluginId: 'search', extensionId: 'page:search' },
    });

    const calls = ((window as any).dataLayer as IArguments[]).map(a =>
      Array.from(a),
    );
    // Arguments objects, as gtag.js expects (arrays would be ignored).
    expect(Object.prototype.toString.call((window as any).dataLayer[0])).toBe(
      '[object Arguments]',
    );
    expect(calls[0][0]).toBe('js');
    expect(calls.filter(c => c[0] === 'config')).toEqual([
      ['config', 'G-TEST123', { send_page_view: false }],
      ['config', 'G-TEST123', { send_page_view: false }],
    ]);
    expect(calls.filter(c => c[0] === 'event')).toEqual([
      [
        'event',
        'page_view',
        {
          page_location: `${window.location.origin}/catalog`,
          page_path: '/catalog',
          plugin_id: 'catalog',
          extension_id: 'page:catalog',
        },
      ],
      [
        'event',
        'search',
        {
          search_term: 'payments',
          value: 2,
          plugin_id: 'search',
          extension_id: 'page:search',
        },
      ],
    ]);
    analytics.captureEvent({
      action: 'navigate',
      subject: '/search?query=payments',
      context: { pluginId: 'search', extensionId: 'page:search' },
    });
    analytics.captureEvent({
      action: 'navigate',
      subject: '/catalog',
      context: { pluginId: 'catalog', extensionId: 'page:catalog' },
    });
    expect(
      ((window as any).dataLayer as IArguments[])
        .map(a => Array.from(a))
        .filter(c => c[1] === 'page_view')
        .map(c => c[2].page_path),
    ).toEqual(['/catalog', '/search?query=payments', '/catalog']);
  });
});
