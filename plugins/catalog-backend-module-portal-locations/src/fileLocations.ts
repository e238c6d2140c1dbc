import path from 'node:path';
import { LoggerService } from '@backstage/backend-plugin-api';
import {
  Entity,
  LocationEntity,
  stringifyEntityRef,
  stringifyLocationRef,
} from '@backstage/catalog-model';
import { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';
import {
  CatalogProcessor,
  CatalogProcessorEmit,
  LocationSpec,
} from '@backstage/plugin-catalog-node';

/**
 * The `catalog.locations` entries of type `file`, resolved as the catalog
 * resolves them (against the working directory), as location refs
 * (`file:/abs/path`): the origins of everything read from the portal's own
 * files.
 */
export function configFileLocationRefs(config: Config): Set<string> {
  const refs = new Set<string>();
  for (const location of config.getOptionalConfigArray('catalog.locations') ??
    []) {
    if (location.getOptionalString('type') !== 'file') continue;
    const target = location.getOptionalString('target');
    if (target) refs.add(`file:${path.resolve(target)}`);
  }
  return refs;
}

/**
 * Whether a Location entity reads local files: its type is `file` (given,
 * or inherited from the location it was read from) or a target is a `file:`
 * URL.
 */
export function isFileLocationEntity(
  entity: Entity,
  location: LocationSpec,
): boolean {
  if (entity.kind.toLowerCase() !== 'location') return false;
  const spec = (entity as LocationEntity).spec ?? {};
  const type = typeof spec.type === 'string' ? spec.type : location.type;
  if (type.trim().toLowerCase() === 'file') return true;
  const targets = [
    ...(typeof spec.target === 'string' ? [spec.target] : []),
    ...(Array.isArray(spec.targets) ? spec.targets : []),
  ];
  return targets.some(t => typeof t === 'string' && /^\s*file:/i.test(t));
}

/**
 * Location entities that read the server's files are accepted only when
 * they come from the portal's configuration (`catalog.locations` of type
 * `file`): one in a repository, or registered through the API, would read
 * (and, through parse errors, show) any file the process can read. Refused
 * in the pre-processing step, so the entity is not stored and the error is
 * the location's processing error (and in the log).
 */
export class ConfigOnlyFileLocationsProcessor implements CatalogProcessor {
  private readonly warned = new Set<string>();

  constructor(
    private readonly options: {
      config: Config;
      logger?: LoggerService;
    },
  ) {}

  getProcessorName() {
    return 'PortalConfigOnlyFileLocationsProcessor';
  }

  async preProcessEntity(
    entity: Entity,
    location: LocationSpec,
    _emit: CatalogProcessorEmit,
    originLocation: LocationSpec,
  ): Promise<Entity> {
    if (!isFileLocationEntity(entity, location)) return entity;
    const origin =
      originLocation.type === 'file'
        ? `file:${path.resolve(originLocation.target)}`
        : stringifyLocationRef(originLocation);
    if (configFileLocationRefs(this.options.config).has(origin)) {
      return entity;
    }
    const message = `${stringifyEntityRef(
      entity,
    )} is a file location (it reads files of the portal's server) that originates at ${stringifyLocationRef(
      originLocation,
    )}; file locations are accepted only from the portal's configuration (catalog.locations), so it is not stored`;
    // Once per entity and process: the catalog tries it again every few minutes.
    const ref = stringifyEntityRef(entity);
    if (!this.warned.has(ref)) {
      if (this.warned.size > 10_000) this.warned.clear();
      this.warned.add(ref);
      this.options.logger?.warn(message);
    }
    throw new InputError(message);
  }
}
