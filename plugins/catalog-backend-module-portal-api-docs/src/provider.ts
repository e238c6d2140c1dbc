import { LoggerService, SchedulerService } from '@backstage/backend-plugin-api';
import { ApiEntity, stringifyEntityRef } from '@backstage/catalog-model';
import {
  EntityProvider,
  EntityProviderConnection,
} from '@backstage/plugin-catalog-node';
import { describeStorageError, ListedObject, SpecBucket } from './bucket';
import { GcsApiDocsConfig } from './config';
import { formatOf, specToEntity, TransformResult } from './transform';

/** What the provider remembers of an object between scans (this instance). */
interface Known {
  generation: string;
  metageneration: string;
  result: TransformResult;
}

export interface ScanSummary {
  /** API entities handed to the catalog (undefined: no mutation this scan). */
  apis?: number;
  objects: number;
  downloaded: number;
  unchanged: number;
  problems: number;
  ignored: number;
  conflicts: number;
  durationMs: number;
}

/**
 * One bucket + prefix -> API entities. Each scan lists the prefix, downloads
 * only objects whose generation or metadata changed since this instance last
 * saw them, and replaces the provider's entities in one full mutation, and
 * only after the listing and every download succeeded. An object whose new
 * version is refused keeps the entity of its last good version.
 */
export class GcsApiDocsProvider implements EntityProvider {
  private connection?: EntityProviderConnection;
  private readonly known = new Map<string, Known>();
  /** Object name -> the entity last emitted for it. */
  private readonly lastGood = new Map<string, ApiEntity>();
  /** Entity ref -> the object that holds it (first come keeps it). */
  private readonly holders = new Map<string, string>();
  private reportedConflicts = new Set<string>();

  constructor(
    private readonly config: GcsApiDocsConfig,
    private readonly bucket: SpecBucket,
    private readonly logger: LoggerService,
    private readonly scheduler?: SchedulerService,
  ) {}

  getProviderName() {
    return `gcs-api-docs:${this.config.id}`;
  }

  private get where() {
    return `gs://${this.config.bucket}/${this.config.prefix}`;
  }

  /**
   * Called by the catalog once it runs; then the scan is scheduled (one
   * instance at a time across the cluster) when a scheduler was given.
   */
  async connect(connection: EntityProviderConnection) {
    this.connection = connection;
    await this.scheduler?.scheduleTask({
      id: `${this.getProviderName()}:refresh`,
      ...this.config.schedule,
      fn: async () => {
        await this.scan();
      },
    });
  }

  async scan(): Promise<ScanSummary> {
    if (!this.connection) {
      throw new Error(`${this.getProviderName()} is not connected yet`);
    }
    const started = Date.now();
    const summary: ScanSummary = {
      objects: 0,
      downloaded: 0,
      unchanged: 0,
      problems: 0,
      ignored: 0,
      conflicts: 0,
      durationMs: 0,
    };
    const done = () => {
      summary.durationMs = Date.now() - started;
      return summary;
    };

    let listed: ListedObject[];
    try {
      listed = await this.bucket.list(this.config.prefix);
    } catch (error) {
      this.logger.error(
        `Listing ${this.where} failed: ${describeStorageError(
          error,
        )}. The catalog keeps the ${
          this.lastGood.size
        } API entities it has; the next scan tries again.`,
      );
      return done();
    }
    summary.objects = listed.length;

    // Objects that are gone are forgotten.
    const names = new Set(listed.map(o => o.name));
    for (const name of [...this.known.keys()]) {
      if (!names.has(name)) {
        this.known.delete(name);
        this.lastGood.delete(name);
      }
    }

    const failures: string[] = [];
    await forEach(listed, this.config.concurrency, async object => {
      const result = await this.resultFor(object, summary, failures);
      if (result?.type === 'problem') {
        summary.problems++;
      } else if (result?.type === 'ignored') {
        summary.ignored++;
      }
    });
    if (failures.length) {
      this.logger.error(
        `Reading ${failures.length} of ${listed.length} objects under ${
          this.where
        } failed (${failures.slice(0, 3).join('; ')}${
          failures.length > 3 ? '; …' : ''
        }). The catalog keeps what it has; the next scan reads them again.`,
      );
      return done();
    }

    const entities = this.resolveConflicts(listed, summary);
    await this.connection.applyMutation({
      type: 'full',
      entities: entities.map(entity => ({
        entity,
        locationKey: this.getProviderName(),
      })),
    });
    summary.apis = entities.length;
    done();
    this.logger.info(
      `Scanned ${this.where}: ${summary.apis} APIs from ${summary.objects} objects (${summary.downloaded} downloaded, ${summary.unchanged} unchanged, ${summary.problems} refused, ${summary.ignored} not specs, ${summary.conflicts} name conflicts) in ${summary.durationMs} ms`,
      { ...summary },
    );
    return summary;
  }

  /** The transform result of this version of the object, downloading only when needed. */
  private async resultFor(
    object: ListedObject,
    summary: ScanSummary,
    failures: string[],
  ): Promise<TransformResult | undefined> {
    const known = this.known.get(object.name);
    if (
      known &&
      known.generation === object.generation &&
      known.metageneration === object.metageneration
    ) {
      summary.unchanged++;
      return known.result;
    }
    const spec = { ...object, bucket: this.config.bucket };
    let result: TransformResult;
    if (!formatOf(object.name)) {
      result = specToEntity(spec, Buffer.alloc(0), this.config);
    } else if (object.size > this.config.maxSpecSize) {
      result = {
        type: 'problem',
        reason: `is ${object.size} bytes, more than the limit of ${this.config.maxSpecSize} (maxSpecSize); not downloaded`,
      };
    } else {
      let content: Buffer;
      if (
        known?.generation === object.generation &&
        known.result.type === 'entity'
      ) {
        // Only the object metadata changed: the content is the definition.
        content = Buffer.from(known.result.entity.spec.definition, 'utf8');
        summary.unchanged++;
      } else {
        try {
          content = await this.bucket.read(object.name, object.generation);
          summary.downloaded++;
        } catch (error) {
          failures.push(`${object.name}: ${describeStorageError(error)}`);
          return undefined;
        }
      }
      result = specToEntity(spec, content, this.config);
    }
    this.known.set(object.name, {
      generation: object.generation,
      metageneration: object.metageneration,
      result,
    });
    if (result.type === 'problem') {
      const kept = this.lastGood.get(object.name);
      this.logger.warn(
        `gs://${this.config.bucket}/${object.name} (generation ${
          object.generation
        }) ${result.reason}. ${
          kept
            ? `The catalog keeps its previous version (API ${stringifyEntityRef(
                kept,
              )}).`
            : 'No API entity is made from it.'
        }`,
      );
    }
    return result;
  }

  /** This scan's entity of an object: its current one, or its last good one when refused. */
  private entityFor(name: string): ApiEntity | undefined {
    const result = this.known.get(name)?.result;
    if (result?.type === 'entity') return result.entity;
    if (result?.type === 'problem') return this.lastGood.get(name);
    return undefined;
  }

  /**
   * One entity per ref: an object that held the name keeps it; among new
   * claimants the first object name wins. Losers are reported, not emitted.
   */
  private resolveConflicts(
    listed: ListedObject[],
    summary: ScanSummary,
  ): ApiEntity[] {
    const claims = new Map<
      string,
      Array<{ object: string; entity: ApiEntity }>
    >();
    for (const object of listed) {
      const entity = this.entityFor(object.name);
      if (!entity) continue;
      const ref = stringifyEntityRef(entity).toLocaleLowerCase('en-US');
      claims.set(ref, [
        ...(claims.get(ref) ?? []),
        { object: object.name, entity },
      ]);
    }

    const entities: ApiEntity[] = [];
    const reported = new Set<string>();
    const holders = new Map<string, string>();
    for (const [ref, claimants] of claims) {
      const holder = this.holders.get(ref);
      // The holder first, then by object name.
      const rank = (c: { object: string }) =>
        `${c.object === holder ? 0 : 1}${c.object}`;
      const sorted = [...claimants].sort((a, b) =>
        rank(a) < rank(b) ? -1 : 1,
      );
      const [winner, ...losers] = sorted;
      entities.push(winner.entity);
      holders.set(ref, winner.object);
      this.lastGood.set(winner.object, winner.entity);
      for (const loser of losers) {
        summary.conflicts++;
        const message = `gs://${this.config.bucket}/${loser.object} would make API ${ref}, which gs://${this.config.bucket}/${winner.object} already provides; it is left out. Give one of them another name (x-backstage-name in the spec or the object metadata backstage-name).`;
        reported.add(message);
        if (!this.reportedConflicts.has(message)) this.logger.warn(message);
      }
    }
    this.holders.clear();
    for (const [ref, object] of holders) this.holders.set(ref, object);
    this.reportedConflicts = reported;
    return entities;
  }
}

/** Runs `fn` over `items` with at most `limit` in flight. */
async function forEach<T>(
  items: T[],
  limit: number,
  fn: (item: T) => Promise<void>,
) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++];
      await fn(item);
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, worker),
  );
}
