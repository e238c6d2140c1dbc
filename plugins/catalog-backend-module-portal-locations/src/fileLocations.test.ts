import path from 'node:path';
import { Entity } from '@backstage/catalog-model';
import { ConfigReader } from '@backstage/config';
import { LocationSpec } from '@backstage/plugin-catalog-node';
import {
  ConfigOnlyFileLocationsProcessor,
  configFileLocationRefs,
  isFileLocationEntity,
} from './fileLocations';

const config = new ConfigReader({
  catalog: {
    locations: [
      { type: 'file', target: '../../examples/entities.yaml' },
      { type: 'file', target: '../../templates/*/template.yaml' },
      { type: 'url', target: 'https://github.com/acme/org/blob/main/a.yaml' },
    ],
  },
});

const entities = `file:${path.resolve('../../examples/entities.yaml')}`;
const userUrl: LocationSpec = {
  type: 'url',
  target: 'https://github.com/acme/repo/blob/main/catalog-info.yaml',
};

const locationEntity = (spec: NonNullable<Entity['spec']>): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Location',
  metadata: { name: 'l' },
  spec,
});

async function preProcess(
  entity: Entity,
  location: LocationSpec,
  origin: LocationSpec,
) {
  const logger = { warn: jest.fn() } as any;
  const processor = new ConfigOnlyFileLocationsProcessor({ config, logger });
  const run = () =>
    processor.preProcessEntity(entity, location, () => {}, origin);
  return { run, logger };
}

describe('configFileLocationRefs', () => {
  it('lists the file locations of the config, resolved like the catalog does', () => {
    expect([...configFileLocationRefs(config)]).toEqual([
      entities,
      `file:${path.resolve('../../templates/*/template.yaml')}`,
    ]);
  });
});

describe('isFileLocationEntity', () => {
  it.each([
    [{ type: 'file', target: '/etc/passwd' }, userUrl],
    [{ type: 'FILE', target: './x.yaml' }, userUrl],
    [{ target: './x.yaml' }, { type: 'file', target: '/srv/a.yaml' }],
    [{ type: 'url', target: 'file:///etc/passwd' }, userUrl],
    [{ type: 'url', targets: ['./ok.yaml', ' FILE:/etc/shadow'] }, userUrl],
  ])('%j from %j reads files', (spec, location) => {
    expect(isFileLocationEntity(locationEntity(spec), location)).toBe(true);
  });

  it.each([
    [{ type: 'url', target: './other.yaml' }],
    [{ targets: ['https://github.com/acme/x/blob/main/a.yaml'] }],
  ])('%j from a URL does not', spec => {
    expect(isFileLocationEntity(locationEntity(spec), userUrl)).toBe(false);
  });

  it('only looks at Location entities', () => {
    expect(
      isFileLocationEntity(
        { ...locationEntity({ type: 'file' }), kind: 'Component' },
        userUrl,
      ),
    ).toBe(false);
  });
});

describe('ConfigOnlyFileLocationsProcessor', () => {
  it('accepts file locations whose origin is a file location of the config', async () => {
    const origin: LocationSpec = {
      type: 'file',
      target: path.resolve('../../examples/entities.yaml'),
    };
    const entity = locationEntity({ type: 'file', target: './more.yaml' });
    const { run } = await preProcess(entity, origin, origin);
    await expect(run()).resolves.toBe(entity);
  });

  it('accepts URL locations from anywhere', async () => {
    const entity = locationEntity({ type: 'url', target: './more.yaml' });
    const { run } = await preProcess(entity, userUrl, userUrl);
    await expect(run()).resolves.toBe(entity);
  });

  it.each([
    ['a repository file', { type: 'file', target: '/etc/passwd' }, userUrl],
    [
      'a repository file, file: URL',
      { type: 'url', target: 'file:///etc/passwd' },
      userUrl,
    ],
    [
      'a file location registered through the API',
      { type: 'file', target: '/etc/passwd' },
      { type: 'file', target: '/etc/passwd' },
    ],
    [
      'a file that is not in the config',
      { type: 'file', target: './x.yaml' },
      { type: 'file', target: path.resolve('../../examples/org.yaml') },
    ],
    [
      'a URL location of the config',
      { type: 'file', target: '/etc/passwd' },
      { type: 'url', target: 'https://github.com/acme/org/blob/main/a.yaml' },
    ],
  ])(
    'refuses %s, naming the entity and its origin',
    async (_, spec, origin) => {
      const { run, logger } = await preProcess(
        locationEntity(spec),
        userUrl,
        origin as LocationSpec,
      );
      await expect(run()).rejects.toMatchObject({
        name: 'InputError',
        message: expect.stringContaining(
          `location:default/l is a file location (it reads files of the portal's server) that originates at ${origin.type}:${origin.target}`,
        ),
      });
      expect(logger.warn).toHaveBeenCalledTimes(1);
    },
  );
});
