import { ConfigReader } from '@backstage/config';
import { readGcsApiDocsConfigs } from './config';

const read = (gcsApiDocs: unknown) =>
  readGcsApiDocsConfigs(
    new ConfigReader({ catalog: { providers: { gcsApiDocs } } } as any),
  );

describe('readGcsApiDocsConfigs', () => {
  it('reads one instance with bucket at the top as "default", with defaults', () => {
    const { instances, off } = read({
      bucket: 'acme-api-docs',
      prefix: 'apis/',
    });
    expect(off).toEqual([]);
    expect(instances).toEqual([
      {
        id: 'default',
        bucket: 'acme-api-docs',
        prefix: 'apis/',
        namespace: 'default',
        apiEndpoint: undefined,
        authenticate: false,
        defaults: {
          owner: undefined,
          system: undefined,
          lifecycle: 'production',
        },
        maxSpecSize: 5 * 1024 * 1024,
        maxYamlAliases: 100,
        retries: 3,
        concurrency: 16,
        schedule: { frequency: { minutes: 5 }, timeout: { minutes: 3 } },
      },
    ]);
  });

  it('reads several buckets or prefixes as separate instances, and reports those without a bucket', () => {
    const { instances, off } = read({
      public: {
        bucket: 'acme-api-docs',
        prefix: 'apis/',
        defaults: { owner: 'group:default/platform-team' },
      },
      partners: {
        bucket: 'acme-partner-specs',
        namespace: 'partners',
        maxSpecSize: 1000,
        schedule: { frequency: { minutes: 15 }, timeout: { minutes: 5 } },
      },
      unset: { prefix: 'x/' },
    });
    expect(off).toEqual(['unset']);
    expect(instances.map(i => [i.id, i.bucket, i.prefix, i.namespace])).toEqual(
      [
        ['public', 'acme-api-docs', 'apis/', 'default'],
        ['partners', 'acme-partner-specs', '', 'partners'],
      ],
    );
    expect(instances[0].defaults.owner).toBe('group:default/platform-team');
    expect(instances[1].maxSpecSize).toBe(1000);
    expect(instances[1].schedule.frequency).toEqual({ minutes: 15 });
  });

  it('is off when API_DOCS_BUCKET left the bucket out, as app-config.yaml has it', () => {
    const unset = {
      defaults: { lifecycle: 'production' },
      maxSpecSize: 5242880,
      schedule: { frequency: { minutes: 5 }, timeout: { minutes: 3 } },
    };
    expect(read(unset)).toEqual({ instances: [], off: ['default'] });
    expect(read({ prefix: 'apis/' })).toEqual({
      instances: [],
      off: ['default'],
    });
  });

  it('refuses invalid limits with the key named', () => {
    expect(() => read({ bucket: 'b', maxSpecSize: -1 })).toThrow(
      'catalog.providers.gcsApiDocs.maxSpecSize must be a whole number ≥ 0, not -1',
    );
    expect(() => read({ one: { bucket: 'b', retries: 1.5 } })).toThrow(
      'catalog.providers.gcsApiDocs.one.retries must be a whole number ≥ 0, not 1.5',
    );
  });
});
