import { LoggerService, SchedulerService } from '@backstage/backend-plugin-api';
import { ApiEntity, stringifyEntityRef } from '@backstage/catalog-model';
import {
  EntityProvider,
  EntityProviderConnection,
} from '@backstage/plugin-catalog-node';
import {
  describeStorageError,
  ListedObject,
  SpecBucket,
  UnreadableSpecError,
} from './bucket';
import { GcsApiDocsConfig } from './config';
import { ObjectState, ScanStateStore } from './state';
import { formatOf, specToEntity, TransformResult } from './transform';

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
 * only objects whose generation or metadata changed since the last scan (of
 * any instance: what was read is kept in the catalog's database), and
 * replaces the provider's entities in one full mutation, only after the
 * listing and every download succeeded. An object whose new version is
 * refused keeps the entity of its last good version; of two objects claiming
 * one entity name, the one that holds it keeps it.
 */
export class GcsApiDocsProvider implements EntityProvider {
  private connection?: EntityProviderConnection;
  private reportedConflicts = new Set<string>();

  constructor(
    private readonly config: GcsApiDocsConfig,
    private readonly bucket: SpecBucket,
    private readonly store: ScanStateStore,
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
      fn: async (signal?: AbortSignal) => {
        await this.scan(signal);
      },
    });
  }

  async scan(signal?: AbortSignal): Promise<ScanSummary> {
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

    const known = await this.store.load(this.getProviderName());
    let listed: ListedObject[];
    try {
      listed = await this.bucket.list(this.config.prefix);
    } catch (error) {
      const held = [...known.values()].filter(s => s.emittedRef).length;
      this.logger.error(
        `Listing ${this.where} failed: ${describeStorageError(
          error,
        )}. The catalog keeps the ${held} API entities it has; the next scan tries again.`,
      );
      return done();
    }
    summary.objects = listed.length;

    const next = new Map<string, ObjectState>();
    const changed = new Map<string, ObjectState>();
    const failures: string[] = [];
    await forEach(listed, this.config.concurrency, async object => {
      const prev = known.get(object.name);
      if (
        prev &&
        prev.generation === object.generation &&
        prev.metageneration === object.metageneration
      ) {
        summary.unchanged++;
        next.set(object.name, prev);
        return;
      }
      const result = await this.read(object, prev, summary, failures);
      if (!result) {
        if (prev) next.set(object.name, prev);
        return;
      }
      const state = this.stateOf(object, result, prev);
      next.set(object.name, state);
      changed.set(object.name, state);
    });
    for (const state of next.values()) {
      if (state.status === 'problem') summary.problems++;
      if (state.status === 'ignored') summary.ignored++;
    }
    if (failures.length) {
      // What was read is kept, so the next scan reads only what it lacks.
      await this.store.save(this.getProviderName(), [...changed.values()], []);
      this.logger.error(
        `Reading ${failures.length} of ${listed.length} objects under ${
          this.where
        } failed (${failures.slice(0, 3).join('; ')}${
          failures.length > 3 ? '; …' : ''
        }). The catalog keeps what it has; the next scan reads them again.`,
      );
      return done();
    }
    if (signal?.aborted) {
      this.logger.warn(
        `Scan of ${this.where} ran past its timeout; nothing applied`,
      );
      return done();
    }

    const entities = this.resolveConflicts(known, next, changed, summary);
    const removed = [...known.keys()].filter(name => !next.has(name));
    await this.store.save(
      this.getProviderName(),
      [...changed.values()],
      removed,
    );
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

  /** This version's transform result, downloading only when needed; undefined when the read failed. */
  private async read(
    object: ListedObject,
    prev: ObjectState | undefined,
    summary: ScanSummary,
    failures: string[],
  ): Promise<TransformResult | undefined> {
    const spec = { ...object, bucket: this.config.bucket };
    if (!formatOf(object.name)) {
      return specToEntity(spec, Buffer.alloc(0), this.config);
    }
    if (object.size > this.config.maxSpecSize) {
      return {
        type: 'problem',
        reason: `is ${object.size} bytes, more than the limit of ${this.config.maxSpecSize} (maxSpecSize); not downloaded`,
      };
    }
    if (
      prev?.status === 'entity' &&
      prev.entity &&
      prev.generation === object.generation
    ) {
      // Only the object metadata changed: the content is the definition.
      summary.unchanged++;
      return specToEntity(
        spec,
        Buffer.from(prev.entity.spec.definition, 'utf8'),
        this.config,
      );
    }
    try {
      const content = await this.bucket.read(object, this.config.maxSpecSize);
      summary.downloaded++;
      return specToEntity(spec, content, this.config);
    } catch (error) {
      if (error instanceof UnreadableSpecError) {
        return { type: 'problem', reason: error.message };
      }
      failures.push(`${object.name}: ${describeStorageError(error)}`);
      return undefined;
    }
  }

  /**
   * The object's new state. A refused version, or a spec object that no
   * longer is one, keeps the entity the catalog had for the object.
   */
  private stateOf(
    object: ListedObject,
    result: TransformResult,
    prev: ObjectState | undefined,
  ): ObjectState {
    const base = {
      name: object.name,
      generation: object.generation,
      metageneration: object.metageneration,
    };
    if (result.type === 'entity') {
      return { ...base, status: 'entity', entity: result.entity };
    }
    const kept = prev?.emittedRef ? prev.entity : undefined;
    if (result.type === 'ignored' && !(kept && formatOf(object.name))) {
      return { ...base, status: 'ignored', reason: result.reason };
    }
    const reason =
      result.type === 'ignored'
        ? `is no longer an API spec (${result.reason})`
        : result.reason;
    this.logger.warn(
      `gs://${this.config.bucket}/${object.name} (generation ${
        object.generation
      }) ${reason}. ${
        kept
          ? `The catalog keeps its previous version (API ${stringifyEntityRef(
              kept,
            )}).`
          : 'No API entity is made from it.'
      }`,
    );
    return {
      ...base,
      status: 'problem',
      reason,
      entity: kept,
      emittedRef: prev?.emittedRef,
    };
  }

  /**
   * One entity per ref: the object that held the name keeps it; among new
   * claimants the first object name wins. Losers are reported, not emitted.
   * Updates each state's emittedRef (recording changes in `changed`).
   */
  private resolveConflicts(
    known: Map<string, ObjectState>,
    next: Map<string, ObjectState>,
    changed: Map<string, ObjectState>,
    summary: ScanSummary,
  ): ApiEntity[] {
    const holders = new Map<string, string>();
    for (const state of known.values()) {
      if (state.emittedRef) holders.set(state.emittedRef, state.name);
    }
    const claims = new Map<string, ObjectState[]>();
    for (const state of next.values()) {
      if (state.status === 'ignored' || !state.entity) continue;
      const ref = stringifyEntityRef(state.entity).toLocaleLowerCase('en-US');
      claims.set(ref, [...(claims.get(ref) ?? []), state]);
    }

    const entities: ApiEntity[] = [];
    const emitted = new Map<string, string>(); // object name -> ref
    const reported = new Set<string>();
    for (const [ref, claimants] of claims) {
      // The holder first, then by object name.
      const rank = (s: ObjectState) =>
        `${s.name === holders.get(ref) ? 0 : 1}${s.name}`;
      const [winner, ...losers] = [...claimants].sort((a, b) =>
        rank(a) < rank(b) ? -1 : 1,
      );
      entities.push(winner.entity!);
      emitted.set(winner.name, ref);
      for (const loser of losers) {
        summary.conflicts++;
        const message = `gs://${this.config.bucket}/${loser.name} would make API ${ref}, which gs://${this.config.bucket}/${winner.name} already provides; it is left out. Give one of them another name (x-backstage-name in the spec or the object metadata backstage-name).`;
        reported.add(message);
        if (!this.reportedConflicts.has(message)) this.logger.warn(message);
      }
    }
    this.reportedConflicts = reported;

    for (const state of next.values()) {
      const ref = emitted.get(state.name);
      if (state.emittedRef !== ref) {
        const updated = { ...state, emittedRef: ref };
        next.set(state.name, updated);
        changed.set(state.name, updated);
      }
    }
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
