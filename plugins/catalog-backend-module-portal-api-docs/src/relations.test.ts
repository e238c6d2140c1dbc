import {
  ANNOTATION_LOCATION,
  ANNOTATION_ORIGIN_LOCATION,
  Entity,
  parseLocationRef,
} from '@backstage/catalog-model';
import { CatalogProcessorResult } from '@backstage/plugin-catalog-node';
import { ApiDocsRelationsProcessor, isFromApiDocsBucket } from './relations';
import { specToEntity } from './transform';

const OPENAPI = `openapi: 3.0.3
info:
  title: Payments API
  version: 1.0.0
paths: {}
`;

/** An API entity exactly as the bucket provider emits it. */
function providerEntity(bucket = 'acme-api-docs'): Entity {
  const result = specToEntity(
    {
      bucket,
      name: 'apis/payments/payments-api.yaml',
      generation: '1',
      size: OPENAPI.length,
      metadata: {
        'backstage-provided-by': 'payments-service',
        'backstage-consumed-by': 'checkout-web',
      },
    },
    Buffer.from(OPENAPI),
    {
      prefix: 'apis/',
      namespace: 'default',
      defaults: {
        owner: 'group:default/platform-team',
        lifecycle: 'production',
      },
      maxSpecSize: 1024 * 1024,
      maxYamlAliases: 100,
    },
  );
  if (result.type !== 'entity') throw new Error(result.reason);
  return result.entity;
}

/** The same annotations in a catalog-info.yaml a user registered: the catalog sets the location annotations to where it read the file. */
function userRegisteredEntity(): Entity {
  const entity = providerEntity();
  const where =
    'url:https://github.com/attacker/apis/blob/main/catalog-info.yaml';
  return {
    ...entity,
    metadata: {
      ...entity.metadata,
      name: 'attacker-api',
      annotations: {
        ...entity.metadata.annotations,
        [ANNOTATION_LOCATION]: where,
        [ANNOTATION_ORIGIN_LOCATION]: where,
      },
    },
  };
}

const sources = [{ bucket: 'acme-api-docs', prefix: 'apis/' }];

function withLocation(entity: Entity, own: string, origin = own): Entity {
  return {
    ...entity,
    metadata: {
      ...entity.metadata,
      annotations: {
        ...entity.metadata.annotations,
        [ANNOTATION_LOCATION]: own,
        [ANNOTATION_ORIGIN_LOCATION]: origin,
      },
    },
  };
}

async function process(
  processor: ApiDocsRelationsProcessor,
  entity: Entity,
): Promise<CatalogProcessorResult[]> {
  const emitted: CatalogProcessorResult[] = [];
  await processor.postProcessEntity(
    entity,
    parseLocationRef(entity.metadata.annotations![ANNOTATION_LOCATION]),
    r => emitted.push(r),
  );
  return emitted;
}

const logger = () =>
  ({
    warn: jest.fn(),
    info: jest.fn(),
    error: jest.fn(),
    debug: jest.fn(),
    child: jest.fn(),
  } as any);

describe('ApiDocsRelationsProcessor', () => {
  it('links an API the bucket provider emitted to its components, both ways', async () => {
    const log = logger();
    const emitted = await process(
      new ApiDocsRelationsProcessor({ sources, logger: log }),
      providerEntity(),
    );
    const relations = emitted.map(r =>
      r.type === 'relation'
        ? `${r.relation.source.name} ${r.relation.type} ${r.relation.target.name}`
        : r.type,
    );
    expect(relations).toEqual([
      'payments-service providesApi payments-api',
      'payments-api apiProvidedBy payments-service',
      'checkout-web consumesApi payments-api',
      'payments-api apiConsumedBy checkout-web',
    ]);
    expect(log.warn).not.toHaveBeenCalled();
  });

  it('makes no relation for a user-registered API carrying the annotations, and warns once naming it', async () => {
    const log = logger();
    const processor = new ApiDocsRelationsProcessor({ sources, logger: log });
    expect(await process(processor, userRegisteredEntity())).toEqual([]);
    expect(await process(processor, userRegisteredEntity())).toEqual([]);
    expect(log.warn).toHaveBeenCalledTimes(1);
    expect(log.warn.mock.calls[0][0]).toContain('api:default/attacker-api');
    expect(log.warn.mock.calls[0][0]).toContain(
      'https://github.com/attacker/apis/blob/main/catalog-info.yaml',
    );
  });

  it('makes no relation when no bucket is configured', async () => {
    const processor = new ApiDocsRelationsProcessor({ sources: [] });
    expect(await process(processor, providerEntity())).toEqual([]);
  });

  it('ignores entities of other kinds and APIs without the annotations', async () => {
    const log = logger();
    const processor = new ApiDocsRelationsProcessor({ sources, logger: log });
    const component: Entity = {
      ...userRegisteredEntity(),
      kind: 'Component',
    };
    expect(await process(processor, component)).toEqual([]);
    const plain = userRegisteredEntity();
    plain.metadata.annotations = {
      [ANNOTATION_LOCATION]: 'url:https://github.com/acme/x/blob/main/a.yaml',
      [ANNOTATION_ORIGIN_LOCATION]:
        'url:https://github.com/acme/x/blob/main/a.yaml',
    };
    expect(await process(processor, plain)).toEqual([]);
    expect(log.warn).not.toHaveBeenCalled();
  });
});

describe('isFromApiDocsBucket', () => {
  const entity = providerEntity();
  const own = entity.metadata.annotations![ANNOTATION_LOCATION];

  it('accepts the location the provider writes', () => {
    expect(own).toBe(
      'url:https://storage.cloud.google.com/acme-api-docs/apis/payments/payments-api.yaml',
    );
    expect(isFromApiDocsBucket(entity, parseLocationRef(own), sources)).toBe(
      true,
    );
    expect(
      isFromApiDocsBucket(entity, undefined, [
        { bucket: 'acme-api-docs', prefix: '' },
      ]),
    ).toBe(true);
  });

  it.each([
    ['another bucket', providerEntity('other-bucket')],
    [
      'a bucket whose name starts the same',
      providerEntity('acme-api-docs-evil'),
    ],
    [
      'outside the prefix',
      withLocation(
        entity,
        'url:https://storage.cloud.google.com/acme-api-docs/private/x.yaml',
      ),
    ],
    [
      'a path leaving the prefix',
      withLocation(
        entity,
        'url:https://storage.cloud.google.com/acme-api-docs/apis/../other/x.yaml',
      ),
    ],
    [
      'an encoded path leaving the prefix',
      withLocation(
        entity,
        'url:https://storage.cloud.google.com/acme-api-docs/apis/%2e%2e/x.yaml',
      ),
    ],
    [
      'another host',
      withLocation(
        entity,
        'url:https://storage.cloud.google.com.evil.example/acme-api-docs/apis/x.yaml',
      ),
    ],
    [
      'an origin other than the location (read through a Location entity)',
      withLocation(
        entity,
        own,
        'url:https://github.com/attacker/repo/blob/main/catalog-info.yaml',
      ),
    ],
    ['no location annotations', { ...entity, metadata: { name: 'x' } }],
  ])('refuses %s', (_, candidate) => {
    const location = candidate.metadata.annotations?.[ANNOTATION_LOCATION];
    expect(
      isFromApiDocsBucket(
        candidate,
        location ? parseLocationRef(location) : undefined,
        sources,
      ),
    ).toBe(false);
  });

  it('refuses when the processed location is not the annotated one', () => {
    expect(
      isFromApiDocsBucket(
        entity,
        { type: 'url', target: 'https://github.com/attacker/repo/a.yaml' },
        sources,
      ),
    ).toBe(false);
  });
});
