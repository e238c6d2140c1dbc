import type { DatabaseService } from '@backstage/backend-plugin-api';

type Knex = Awaited<ReturnType<DatabaseService['getClient']>>;

/** The table of GitHub deliveries already accepted (in the events plugin's database). */
export const DELIVERIES_TABLE = 'portal_github_webhook_deliveries';

/**
 * How long an accepted delivery id is remembered. GitHub lets a delivery be
 * redelivered for 3 days (72 hours); a day more covers clock differences and
 * a prune that ran late.
 */
export const DELIVERY_RETENTION_MS = 96 * 60 * 60 * 1000;

/** The longest `X-GitHub-Delivery` stored (GitHub sends a 36-character GUID). */
export const MAX_DELIVERY_ID_LENGTH = 200;

/** Remembers accepted deliveries so that each is published once. */
export interface GithubDeliveryLedger {
  /**
   * Records the delivery as accepted; false when it already was (by this or
   * any other instance sharing the database). Of two concurrent claims of
   * the same id exactly one returns true.
   */
  claim(deliveryId: string, event: string): Promise<boolean>;
  /** Forgets a claim whose delivery could not be published (GitHub may redeliver it). */
  release(deliveryId: string): Promise<void>;
}

/** Creates the table unless it exists; safe when several instances race. */
export async function migrateDeliveriesTable(knex: Knex): Promise<void> {
  if (await knex.schema.hasTable(DELIVERIES_TABLE)) return;
  try {
    await knex.schema.createTable(DELIVERIES_TABLE, table => {
      table.comment(
        'GitHub webhook deliveries (X-GitHub-Delivery) already published, so that replays are ignored',
      );
      table
        .string('delivery_id', MAX_DELIVERY_ID_LENGTH)
        .primary()
        .notNullable();
      table.string('event', 100).notNullable();
      // Milliseconds since the epoch: the same comparison on every database.
      table.bigInteger('received_at').notNullable().index();
    });
  } catch (error) {
    // Another instance created it in the meantime.
    if (await knex.schema.hasTable(DELIVERIES_TABLE)) return;
    throw error;
  }
}

/** The ledger in the database, shared by every instance. */
export class DatabaseDeliveryLedger implements GithubDeliveryLedger {
  constructor(
    private readonly knex: Knex,
    private readonly now: () => number = Date.now,
  ) {}

  async claim(deliveryId: string, event: string): Promise<boolean> {
    try {
      await this.knex(DELIVERIES_TABLE).insert({
        delivery_id: deliveryId,
        event: event.slice(0, 100),
        received_at: this.now(),
      });
      return true;
    } catch (error) {
      // The primary key refused it: already claimed. Checked by reading the
      // row rather than by each database's error code.
      const existing = await this.knex(DELIVERIES_TABLE)
        .where({ delivery_id: deliveryId })
        .first('delivery_id');
      if (existing) return false;
      throw error;
    }
  }

  async release(deliveryId: string): Promise<void> {
    await this.knex(DELIVERIES_TABLE)
      .where({ delivery_id: deliveryId })
      .delete();
  }

  /** Deletes deliveries older than the retention; returns how many. */
  async prune(retentionMs: number = DELIVERY_RETENTION_MS): Promise<number> {
    return await this.knex(DELIVERIES_TABLE)
      .where('received_at', '<', this.now() - retentionMs)
      .delete();
  }
}

/**
 * A ledger made on first use (and again after a failed attempt): `ready()`
 * resolves with the ledger; claims and releases wait for it.
 */
export function lazyLedger(
  make: () => Promise<DatabaseDeliveryLedger>,
): GithubDeliveryLedger & { ready(): Promise<DatabaseDeliveryLedger> } {
  let pending: Promise<DatabaseDeliveryLedger> | undefined;
  const ready = () => {
    if (!pending) {
      pending = make();
      pending.catch(() => {
        pending = undefined;
      });
    }
    return pending;
  };
  return {
    ready,
    claim: async (deliveryId, event) =>
      (await ready()).claim(deliveryId, event),
    release: async deliveryId => (await ready()).release(deliveryId),
  };
}
