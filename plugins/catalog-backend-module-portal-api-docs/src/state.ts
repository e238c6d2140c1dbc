import { ApiEntity } from '@backstage/catalog-model';
import { Knex } from 'knex';

const TABLE = 'portal_api_docs_objects';

/**
 * What the provider knows of one object, kept in the catalog's database so
 * that every instance (and a restarted one) shares it: which version was
 * last read and what it gave, the entity the object stands for in the
 * catalog, and whether that entity was emitted (it holds its name).
 */
export interface ObjectState {
  name: string;
  generation: string;
  metageneration: string;
  status: 'entity' | 'problem' | 'ignored';
  reason?: string;
  /**
   * `entity`: this version's entity. `problem`: the last good entity the
   * catalog keeps for the object, if any.
   */
  entity?: ApiEntity;
  /** The entity ref emitted in the last applied mutation (the holder of that name). */
  emittedRef?: string;
}

/** Rows of `portal_api_docs_objects` in the catalog's database. */
export class ScanStateStore {
  static async create(knex: Knex): Promise<ScanStateStore> {
    if (!(await knex.schema.hasTable(TABLE))) {
      try {
        await knex.schema.createTable(TABLE, table => {
          table.string('provider', 255).notNullable();
          table.string('object_name', 1024).notNullable();
          table.string('generation', 64).notNullable();
          table.string('metageneration', 64).notNullable();
          table.string('status', 16).notNullable();
          table.text('reason');
          table.text('entity', 'longtext');
          table.string('emitted_ref', 512);
          table.primary(['provider', 'object_name']);
        });
      } catch (error) {
        // Another instance created it meanwhile.
        if (!(await knex.schema.hasTable(TABLE))) throw error;
      }
    }
    return new ScanStateStore(knex);
  }

  private constructor(private readonly knex: Knex) {}

  async load(provider: string): Promise<Map<string, ObjectState>> {
    const rows = await this.knex(TABLE).where({ provider });
    return new Map(
      rows.map(row => [
        row.object_name,
        {
          name: row.object_name,
          generation: row.generation,
          metageneration: row.metageneration,
          status: row.status,
          reason: row.reason ?? undefined,
          entity: row.entity ? JSON.parse(row.entity) : undefined,
          emittedRef: row.emitted_ref ?? undefined,
        },
      ]),
    );
  }

  /** Writes changed objects and forgets removed ones, in one transaction. */
  async save(provider: string, changed: ObjectState[], removed: string[]) {
    if (!changed.length && !removed.length) return;
    await this.knex.transaction(async tx => {
      for (let i = 0; i < removed.length; i += 500) {
        await tx(TABLE)
          .where({ provider })
          .whereIn('object_name', removed.slice(i, i + 500))
          .delete();
      }
      for (let i = 0; i < changed.length; i += 100) {
        await tx(TABLE)
          .insert(
            changed.slice(i, i + 100).map(s => ({
              provider,
              object_name: s.name,
              generation: s.generation,
              metageneration: s.metageneration,
              status: s.status,
              reason: s.reason ?? null,
              entity: s.entity ? JSON.stringify(s.entity) : null,
              emitted_ref: s.emittedRef ?? null,
            })),
          )
          .onConflict(['provider', 'object_name'])
          .merge();
      }
    });
  }
}
