import type { AnalyticsEvent } from '@backstage/frontend-plugin-api';
import {
  isMeasurementId,
  redactEmails,
  toGa4Event,
  toGa4Name,
} from './ga4Event';

const origin = 'https://portal.example.com';
const event = (e: Partial<AnalyticsEvent>): AnalyticsEvent => ({
  action: 'click',
  subject: '',
  context: { pluginId: 'catalog', extensionId: 'page:catalog' },
  ...e,
});

describe('toGa4Event', () => {
  it('turns a navigate event into a page view with the route context', () => {
    expect(
      toGa4Event(
        event({
          action: 'navigate',
          subject: '/catalog/default/component/payments?tab=apis',
          attributes: { kind: 'component', name: 'payments' },
          context: { pluginId: 'catalog', extensionId: 'page:catalog/entity' },
        }),
        origin,
      ),
    ).toEqual({
      name: 'page_view',
      params: {
        page_location: `${origin}/catalog/default/component/payments?tab=apis`,
        page_path: '/catalog/default/component/payments?tab=apis',
        plugin_id: 'catalog',
        extension_id: 'page:catalog/entity',
        kind: 'component',
        name: 'payments',
      },
    });
  });

  it("sends a search as GA4's search event with the term and the result count", () => {
    expect(
      toGa4Event(
        event({
          action: 'search',
          subject: 'payments',
          value: 3,
          context: { pluginId: 'search', extensionId: 'page:search' },
        }),
        origin,
      ),
    ).toEqual({
      name: 'search',
      params: {
        search_term: 'payments',
        value: 3,
        plugin_id: 'search',
        extension_id: 'page:search',
      },
    });
  });

  it('names other events after the action, with subject, context and attributes', () => {
    expect(
      toGa4Event(
        event({
          action: 'create',
          subject: 'new-service',
          attributes: { entityRef: 'template:default/service-cloud-run' },
          context: {
            pluginId: 'scaffolder',
            extensionId: 'page:scaffolder',
            routeRef: 'scaffolder',
            unused: undefined,
          },
        }),
        origin,
      ),
    ).toEqual({
      name: 'create',
      params: {
        event_label: 'new-service',
        plugin_id: 'scaffolder',
        extension_id: 'page:scaffolder',
        route_ref: 'scaffolder',
        entity_ref: 'template:default/service-cloud-run',
      },
    });
  });

  it('keeps within GA4 names and limits', () => {
    const { name, params } = toGa4Event(
      event({
        action: 'not-found',
        subject: 'x'.repeat(500),
        attributes: Object.fromEntries(
          Array.from({ length: 40 }, (_, i) => [`attr${i}`, true]),
        ),
        context: {
          pluginId: 'catalog',
          extensionId: 'page:catalog',
          google_thing: 'reserved',
          ga_thing: 'reserved',
        },
      }),
      origin,
    );
    expect(name).toBe('not_found');
    expect(params.event_label).toHaveLength(100);
    expect(Object.keys(params)).toHaveLength(25);
    expect(params).not.toHaveProperty('google_thing');
    expect(params).not.toHaveProperty('ga_thing');
    expect(params.attr0).toBe('true');
    expect(toGa4Event(event({ action: 'error' }), origin).name).toBe(
      'backstage_error',
    );
  });

  it('never sends an e-mail address', () => {
    const { params } = toGa4Event(
      event({
        action: 'navigate',
        subject: '/search?query=jane.doe%40acme.com&q=jane.doe@acme.com',
        attributes: { owner: 'Jane <jane.doe@acme.com>' },
      }),
      origin,
    );
    expect(JSON.stringify(params)).not.toMatch(/jane\.doe/);
    expect(params.page_path).toBe('/search?query=[email]&q=[email]');
    expect(params.owner).toBe('Jane <[email]>');
  });
});

describe('helpers', () => {
  it('makes GA4 names', () => {
    expect(toGa4Name('entityRef')).toBe('entity_ref');
    expect(toGa4Name('pluginId')).toBe('plugin_id');
    expect(toGa4Name('not-found')).toBe('not_found');
    expect(toGa4Name('1st')).toBe('st');
    expect(toGa4Name('a'.repeat(50))).toHaveLength(40);
  });

  it('redacts e-mails', () => {
    expect(redactEmails('ask ada@example.org or bob@x.io')).toBe(
      'ask [email] or [email]',
    );
    expect(redactEmails('user:default/ada.lovelace')).toBe(
      'user:default/ada.lovelace',
    );
  });

  it('accepts only GA4 measurement ids', () => {
    expect(isMeasurementId('G-ABC123XYZ0')).toBe(true);
    expect(isMeasurementId('UA-12345-1')).toBe(false);
    expect(isMeasurementId('G-abc"><script>')).toBe(false);
    expect(isMeasurementId(undefined)).toBe(false);
  });
});
