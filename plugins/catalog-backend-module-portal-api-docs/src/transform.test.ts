import {
  pathConvention,
  specToEntity,
  SpecObject,
  TransformOptions,
  TransformResult,
} from './transform';
import { aliasBomb } from './testFixtures';

const options: TransformOptions = {
  prefix: 'apis/',
  namespace: 'default',
  defaults: { owner: 'group:default/platform-team', lifecycle: 'production' },
  maxSpecSize: 5 * 1024 * 1024,
  maxYamlAliases: 100,
};

function object(name: string, metadata?: Record<string, string>): SpecObject {
  return {
    bucket: 'acme-api-docs',
    name,
    generation: '1700000000000001',
    size: 0,
    metadata,
  };
}

function run(
  name: string,
  text: string | Buffer,
  opts: Partial<TransformOptions> & { metadata?: Record<string, string> } = {},
): TransformResult {
  const { metadata, ...rest } = opts;
  return specToEntity(
    object(name, metadata),
    Buffer.isBuffer(text) ? text : Buffer.from(text),
    {
      ...options,
      ...rest,
    },
  );
}

function entityOf(result: TransformResult) {
  if (result.type !== 'entity') {
    throw new Error(`expected an entity, got ${result.type}: ${result.reason}`);
  }
  return result.entity;
}

function problemOf(result: TransformResult) {
  if (result.type !== 'problem') {
    throw new Error(`expected a problem, got ${result.type}`);
  }
  return result.reason;
}

const OPENAPI3 = `openapi: 3.0.3
info:
  title: Payments API
  version: 2.1.0
  description: Charges and refunds.
paths:
  /payments:
    get:
      responses:
        '200':
          description: the payments
          content:
            application/json:
              schema: { $ref: '#/components/schemas/Payment' }
components:
  schemas:
    Payment: { type: object }
`;

describe('specToEntity: spec kinds', () => {
  it('turns OpenAPI 3 YAML into an API entity: name and system from the path, the rest from info', () => {
    const entity = entityOf(run('apis/payments/payments-api.yaml', OPENAPI3));
    expect(entity).toEqual({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'API',
      metadata: {
        name: 'payments-api',
        namespace: 'default',
        title: 'Payments API',
        description: 'Charges and refunds.',
        annotations: {
          'backstage.io/managed-by-location':
            'url:https://storage.cloud.google.com/acme-api-docs/apis/payments/payments-api.yaml',
          'backstage.io/managed-by-origin-location':
            'url:https://storage.cloud.google.com/acme-api-docs/apis/payments/payments-api.yaml',
          'backstage.io/view-url':
            'https://console.cloud.google.com/storage/browser/_details/acme-api-docs/apis/payments/payments-api.yaml',
          'api-docs/source':
            'gs://acme-api-docs/apis/payments/payments-api.yaml',
          'api-docs/generation': '1700000000000001',
          'api-docs/version': '2.1.0',
        },
      },
      spec: {
        type: 'openapi',
        lifecycle: 'production',
        owner: 'group:default/platform-team',
        system: 'payments',
        definition: OPENAPI3,
      },
    });
  });

  it('reads OpenAPI 2.0 (swagger) JSON', () => {
    const text = JSON.stringify({
      swagger: '2.0',
      info: { title: 'Legacy Orders', version: 1 },
      paths: {},
    });
    const entity = entityOf(run('apis/orders.json', text));
    expect(entity.spec.type).toBe('openapi');
    expect(entity.metadata.name).toBe('orders');
    expect(entity.metadata.title).toBe('Legacy Orders');
    expect(entity.metadata.annotations!['api-docs/version']).toBe('1');
    expect(entity.spec.system).toBeUndefined();
    expect(entity.spec.definition).toBe(text);
  });

  it('reads AsyncAPI 2.x YAML and 3.x JSON', () => {
    const v2 = entityOf(
      run(
        'apis/shipping/shipment-events.yml',
        'asyncapi: 2.6.0\ninfo: { title: Shipment events, version: 1.0.0 }\nchannels:\n  shipment.created: {}\n',
      ),
    );
    expect(v2.spec.type).toBe('asyncapi');
    expect(v2.spec.system).toBe('shipping');
    const v3 = entityOf(
      run(
        'apis/shipping/tracking.json',
        JSON.stringify({
          asyncapi: '3.0.0',
          info: { title: 'Tracking', version: '3' },
          channels: {},
        }),
      ),
    );
    expect(v3.spec.type).toBe('asyncapi');
    expect(v3.metadata.title).toBe('Tracking');
  });

  it('reads GraphQL SDL: description from the schema definition, fields from header comments', () => {
    const sdl = `# x-backstage-title: Catalog Graph
# x-backstage-owner: group:default/web-team
# x-backstage-version: 7
"""Products and prices."""
schema { query: Query }
type Query { product(id: ID!): Product }
type Product { id: ID! name: String }
`;
    const entity = entityOf(run('apis/store/catalog.graphql', sdl));
    expect(entity.spec.type).toBe('graphql');
    expect(entity.metadata).toMatchObject({
      name: 'catalog',
      title: 'Catalog Graph',
      description: 'Products and prices.',
    });
    expect(entity.metadata.annotations!['api-docs/version']).toBe('7');
    expect(entity.spec).toMatchObject({
      owner: 'group:default/web-team',
      system: 'store',
    });
  });

  it('ignores objects that are not specs', () => {
    expect(
      run('apis/logo.png', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0])),
    ).toEqual({
      type: 'ignored',
      reason: expect.stringContaining('not a .json'),
    });
    expect(run('apis/package.json', '{"name":"x"}').type).toBe('ignored');
    expect(run('apis/list.yaml', '- a\n- b\n').type).toBe('ignored');
  });
});

describe('specToEntity: where owner, system, lifecycle and providers come from', () => {
  const withExtensions = `openapi: 3.1.0
x-backstage-owner: group:default/spec-team
x-backstage-lifecycle: experimental
info:
  title: Inventory
  version: 1.0.0
  x-backstage-system: spec-system
  x-backstage-provided-by: [inventory-service, component:ops/stock-sync]
  x-backstage-consumed-by: storefront
paths: {}
`;

  it('object metadata wins over x-backstage-* fields', () => {
    const entity = entityOf(
      run('apis/path-system/inventory.yaml', withExtensions, {
        metadata: {
          'backstage-owner': 'group:default/metadata-team',
          'backstage-system': 'metadata-system',
          'backstage-lifecycle': 'deprecated',
          'backstage-provided-by':
            'legacy-inventory, component:default/inventory-v2',
          'backstage-name': 'inventory-v1',
        },
      }),
    );
    expect(entity.metadata.name).toBe('inventory-v1');
    expect(entity.spec).toMatchObject({
      owner: 'group:default/metadata-team',
      system: 'metadata-system',
      lifecycle: 'deprecated',
    });
    expect(entity.metadata.annotations!['api-docs/provided-by']).toBe(
      'component:default/legacy-inventory,component:default/inventory-v2',
    );
  });

  it('x-backstage-* fields (root or info) win over the path and the defaults', () => {
    const entity = entityOf(
      run('apis/path-system/inventory.yaml', withExtensions),
    );
    expect(entity.spec).toMatchObject({
      owner: 'group:default/spec-team',
      system: 'spec-system',
      lifecycle: 'experimental',
    });
    expect(entity.metadata.annotations).toMatchObject({
      'api-docs/provided-by':
        'component:default/inventory-service,component:ops/stock-sync',
      'api-docs/consumed-by': 'component:default/storefront',
    });
  });

  it('the path gives the system before the configured default', () => {
    const text =
      'openapi: 3.0.0\ninfo: { title: T, version: "1" }\npaths: {}\n';
    const opts = {
      defaults: { ...options.defaults, system: 'default-system' },
    };
    expect(
      entityOf(run('apis/billing/invoices.yaml', text, opts)).spec.system,
    ).toBe('billing');
    expect(entityOf(run('apis/invoices.yaml', text, opts)).spec.system).toBe(
      'default-system',
    );
  });

  it('refuses a spec with no owner anywhere, naming where to set one', () => {
    const reason = problemOf(
      run('apis/x.yaml', 'openapi: 3.0.0\ninfo: { title: T, version: "1" }\n', {
        defaults: { lifecycle: 'production' },
      }),
    );
    expect(reason).toMatch(
      /no owner.*backstage-owner.*x-backstage-owner.*defaults\.owner/,
    );
  });

  it('refuses an invalid explicit name or reference instead of changing it', () => {
    expect(
      problemOf(
        run(
          'apis/x.yaml',
          'openapi: 3.0.0\ninfo: { title: T, version: "1" }\n',
          {
            metadata: { 'backstage-name': 'Not a name!' },
          },
        ),
      ),
    ).toMatch(/entity name "Not a name!".*not a valid name/);
    expect(
      problemOf(
        run(
          'apis/x.yaml',
          'openapi: 3.0.0\nx-backstage-owner: "group:"\ninfo: { title: T, version: "1" }\n',
        ),
      ),
    ).toMatch(/invalid owner "group:"/);
  });

  it('makes a valid name from a file name', () => {
    expect(
      pathConvention('apis/Payments Team/Payments API (v2).yaml', 'apis/'),
    ).toEqual({
      name: 'Payments-API-v2',
      system: 'Payments-Team',
    });
    expect(pathConvention('other/place/x.json', 'apis/')).toEqual({
      name: 'x',
      system: 'other',
    });
  });
});

describe('specToEntity: bad input is refused with the reason', () => {
  it('invalid YAML and JSON', () => {
    expect(
      problemOf(run('apis/a.yaml', 'openapi: 3.0.0\ninfo: [unclosed\n')),
    ).toMatch(/^is not valid YAML: /);
    expect(problemOf(run('apis/a.json', '{"openapi": "3.0.0", '))).toMatch(
      /^is not valid JSON: /,
    );
  });

  it('a YAML alias bomb', () => {
    expect(problemOf(run('apis/bomb.yaml', aliasBomb(5)))).toMatch(
      /YAML aliases expand beyond the limit of 100/,
    );
    // A few aliases are fine.
    const few =
      'openapi: 3.0.0\ninfo: &i { title: ok, version: "1" }\nx-copy: *i\n';
    expect(entityOf(run('apis/few.yaml', few)).metadata.title).toBe('ok');
  });

  it('a spec referring to another document', () => {
    const remote = OPENAPI3.replace(
      "'#/components/schemas/Payment'",
      "'https://evil.example/schema.json'",
    );
    expect(problemOf(run('apis/r.yaml', remote))).toMatch(
      /refers to another document \(\$ref "https:\/\/evil\.example\/schema\.json" at \/paths\/~?.*\); only references inside the spec/,
    );
    const relative = OPENAPI3.replace(
      "'#/components/schemas/Payment'",
      "'./common.yaml#/Payment'",
    );
    expect(problemOf(run('apis/r.yaml', relative))).toMatch(
      /\$ref "\.\/common\.yaml#\/Payment"/,
    );
  });

  it('an $id that rebases references onto a URL, and $dynamicRef to another document', () => {
    const withId = `openapi: 3.1.0\ninfo: { title: T, version: "1" }\ncomponents:\n  schemas:\n    X:\n      $id: https://evil.example/schemas/\n      properties: { a: { $ref: '#/$defs/A' } }\n`;
    expect(problemOf(run('apis/r.yaml', withId))).toMatch(
      /\$id "https:\/\/evil\.example\/schemas\/" at \/components\/schemas\/X\/\$id/,
    );
    const dynamic = `openapi: 3.1.0\ninfo: { title: T, version: "1" }\ncomponents:\n  schemas:\n    X: { $dynamicRef: 'other.json#node' }\n`;
    expect(problemOf(run('apis/r.yaml', dynamic))).toMatch(
      /\$dynamicRef "other\.json#node"/,
    );
    // Anchors inside the document are fine.
    const local = dynamic.replace('other.json#node', '#node');
    expect(run('apis/r.yaml', local).type).toBe('entity');
  });

  it('an unquoted version number, with the fix named', () => {
    expect(problemOf(run('apis/a.yaml', 'swagger: 2.0\ninfo: {}\n'))).toBe(
      'has swagger: 2 as a number; write the version as a string (swagger: "2.0")',
    );
    expect(problemOf(run('apis/a.yaml', 'openapi: 3.1\ninfo: {}\n'))).toMatch(
      /openapi: 3\.1 as a number/,
    );
  });

  it('an empty spec', () => {
    expect(problemOf(run('apis/a.yaml', '  \n'))).toBe('is empty');
  });

  it('x-backstage-* values that are empty fall through; invalid references are refused', () => {
    const spec = (extra: string) =>
      `openapi: 3.0.0\n${extra}\ninfo: { title: T, version: "1" }\n`;
    const fallThrough = entityOf(
      run(
        'apis/billing/x.yaml',
        spec('x-backstage-lifecycle: ""\nx-backstage-system: " "'),
      ),
    );
    expect(fallThrough.spec).toMatchObject({
      lifecycle: 'production',
      system: 'billing',
    });
    expect(
      problemOf(run('apis/x.yaml', spec('x-backstage-owner: "team a!!"'))),
    ).toMatch(/invalid owner "team a!!": not a valid entity name/);
    expect(
      problemOf(
        run('apis/x.yaml', spec('x-backstage-provided-by: "Bad Name!"')),
      ),
    ).toMatch(/invalid provided-by "Bad Name!"/);
    expect(
      problemOf(run('apis/x.yaml', spec('x-backstage-provided-by: api:other'))),
    ).toBe(
      'has provided-by "api:other", which is not a component (APIs are provided and consumed by components)',
    );
  });

  it('binary or non-UTF-8 content under a spec name', () => {
    expect(
      problemOf(run('apis/a.yaml', Buffer.from([0x6f, 0x70, 0x00, 0x01]))),
    ).toMatch(/binary/);
    expect(
      problemOf(run('apis/a.yaml', Buffer.from([0x6f, 0xff, 0xfe, 0x70]))),
    ).toMatch(/not UTF-8/);
  });

  it('an oversize spec', () => {
    expect(
      problemOf(run('apis/a.yaml', OPENAPI3, { maxSpecSize: 100 })),
    ).toMatch(/^is \d+ bytes, more than the limit of 100 \(maxSpecSize\)/);
  });

  it('unsupported versions', () => {
    expect(problemOf(run('apis/a.yaml', 'openapi: 4.0.0\ninfo: {}\n'))).toMatch(
      /declares openapi 4\.0\.0/,
    );
    expect(problemOf(run('apis/a.yaml', 'swagger: "1.2"\ninfo: {}\n'))).toMatch(
      /declares swagger 1\.2/,
    );
    expect(
      problemOf(run('apis/a.yaml', 'asyncapi: 1.2.0\ninfo: {}\n')),
    ).toMatch(/declares asyncapi 1\.2\.0/);
    expect(
      problemOf(run('apis/a.yaml', 'openapi: 3.0.0\npaths: {}\n')),
    ).toMatch(/without an info object/);
  });

  it('invalid GraphQL and GraphQL queries', () => {
    expect(problemOf(run('apis/a.graphql', 'type Query {'))).toMatch(
      /^is not a valid GraphQL schema: Syntax Error/,
    );
    expect(problemOf(run('apis/a.gql', 'query Q { a }'))).toMatch(
      /query document, not a schema/,
    );
  });
});
