import type { BackstageCredentials } from '@backstage/backend-plugin-api';
import { NotFoundError } from '@backstage/errors';
import type {
  Consumer,
  ConsumerDetail,
  Migration,
  Patch,
  Review,
  Validation,
  ValidationSummary,
} from '@ripple/backstage-plugin-ripple-common';
import type {
  ConsumerFilter,
  MigrationStore,
  Page,
  PageRequest,
} from '../database/MigrationStore';
import type { RolloutStore } from '../database/RolloutStore';
import type { ValidationStore } from '../database/ValidationStore';
import { consumerScope } from '../database/consumerList';
import {
  decodeCursor,
  encodeCursor,
  isText,
  refuseCursorWithOffset,
} from '../database/paging';
import type { ConsumerVisibility } from './visibility';
import { isMergeOverdue } from '../rollout/advanceGate';

// Consumers read at once when a conditional policy makes Ripple filter a
// migration's whole list before paging it.
const SCAN_PAGE = 500;

/**
 * A migration's consumers as the API shows them: the store's consumer with
 * its wave, delivery and health from the rollout, and only those the
 * caller's catalog permissions let them see. The one place the read model
 * is put together.
 */
export class ConsumerReadModel {
  constructor(
    private readonly options: {
      store: MigrationStore;
      rollouts: Pick<RolloutStore, 'listConsumers' | 'getRollout'>;
      visibility: ConsumerVisibility;
      /** Each consumer's latest validation; without it, none is shown. */
      validations?: Pick<ValidationStore, 'latest' | 'summaries'>;
    },
  ) {}

  /**
   * A page of the consumers the caller may see (of those `filter` keeps,
   * which the store selects), and how many they may see (`totalCount`
   * counts no consumer the page would leave out).
   */
  async list(
    migrationId: string,
    page: PageRequest,
    credentials: BackstageCredentials,
    filter: ConsumerFilter = {},
  ): Promise<Page<Consumer>> {
    const { store, visibility } = this.options;
    const scope = await visibility.scope(credentials);
    if (scope === 'none') {
      return { items: [], totalCount: 0 };
    }
    const summaries = async (refs: string[]) =>
      this.options.validations?.summaries(migrationId, refs);
    if (scope === 'all') {
      return this.withRolloutState(
        migrationId,
        await store.listConsumers(migrationId, page, filter),
        summaries,
      );
    }
    // Decided entity by entity: the page and its count are of the visible
    // consumers, so the whole list is filtered first. Its cost grows with
    // the migration's size, and is paid only under such a policy.
    refuseCursorWithOffset(page);
    const cursors = consumerScope(migrationId, filter);
    const visible = async (read: Page<Consumer>) =>
      visibility.filter(credentials, read.items, c => c.consumerRef);
    if (page.cursor !== undefined) {
      // A later page of a walk: its count was taken on the first page and
      // is carried by the cursor; the store reads on from it (its order is
      // the database's collation, which JavaScript's comparison is not)
      // until a visible consumer past the page shows another follows.
      const { count } = decodeCursor(page.cursor, cursors, isText);
      const shown: Consumer[] = [];
      let cursor: string | undefined = page.cursor;
      while (cursor && shown.length <= page.limit) {
        const read = await store.listConsumers(
          migrationId,
          { limit: SCAN_PAGE, offset: 0, cursor },
          filter,
        );
        shown.push(...(await visible(read)));
        cursor = read.nextCursor;
      }
      const items = shown.slice(0, page.limit);
      return this.withRolloutState(
        migrationId,
        {
          items,
          totalCount: count,
          ...(shown.length > page.limit
            ? {
                nextCursor: encodeCursor(
                  cursors,
                  items[items.length - 1].consumerRef,
                  count,
                ),
              }
            : {}),
        },
        summaries,
      );
    }
    const shown: Consumer[] = [];
    let cursor: string | undefined;
    do {
      const read = await store.listConsumers(
        migrationId,
        { limit: SCAN_PAGE, offset: 0, ...(cursor ? { cursor } : {}) },
        filter,
      );
      shown.push(...(await visible(read)));
      cursor = read.nextCursor;
    } while (cursor);
    const items = shown.slice(page.offset, page.offset + page.limit);
    return this.withRolloutState(
      migrationId,
      {
        items,
        totalCount: shown.length,
        ...(page.offset + page.limit < shown.length
          ? {
              nextCursor: encodeCursor(
                cursors,
                items[items.length - 1].consumerRef,
                shown.length,
              ),
            }
          : {}),
      },
      summaries,
    );
  }

  /**
   * One consumer with its latest validation whole, or a 404 that does not
   * tell a hidden one from a missing one.
   */
  async get(
    migration: Migration,
    consumerRef: string,
    credentials: BackstageCredentials,
  ): Promise<ConsumerDetail> {
    const consumer = await this.require(migration, consumerRef, credentials);
    const { items } = await this.withRolloutState(
      migration.id,
      { items: [consumer], totalCount: 1 },
      async refs => this.options.validations?.latest(migration.id, refs),
    );
    return items[0];
  }

  /** A consumer's current patch and its reviews, or a 404. */
  async patch(
    migration: Migration,
    consumerRef: string,
    credentials: BackstageCredentials,
  ): Promise<{ patch: Patch; reviews: Review[]; validation?: Validation }> {
    const { store } = this.options;
    await this.require(migration, consumerRef, credentials);
    const patch = await store.getCurrentPatch(migration.id, consumerRef);
    if (!patch) {
      throw new NotFoundError(
        `${consumerRef} has no patch yet: the migration is ${migration.state}`,
      );
    }
    const validation = (
      await this.options.validations?.latest(migration.id, [consumerRef])
    )?.get(patch.consumerRef);
    return {
      patch,
      reviews: await store.listReviews(migration.id, consumerRef),
      ...(validation?.patchId === patch.id ? { validation } : {}),
    };
  }

  private async require(
    migration: Migration,
    consumerRef: string,
    credentials: BackstageCredentials,
  ): Promise<Consumer> {
    const consumer = await this.options.store.getConsumer(
      migration.id,
      consumerRef,
    );
    if (
      !consumer ||
      !(await this.options.visibility.visible(credentials, [consumerRef])).size
    ) {
      throw new NotFoundError(
        `${consumerRef} is not a consumer in migration ${migration.id}`,
      );
    }
    return consumer;
  }

  /**
   * Adds each consumer's latest validation, wave, delivery and health to a
   * page of consumers, the validations as `validations` reads them (a
   * list reads the summaries, never the statements).
   */
  private async withRolloutState<V extends ValidationSummary>(
    migrationId: string,
    // The store's consumers, which carry no validation.
    page: Page<Omit<Consumer, 'validation'>>,
    validations: (refs: string[]) => Promise<Map<string, V> | undefined>,
  ): Promise<Page<Omit<Consumer, 'validation'> & { validation?: V }>> {
    if (!page.items.length) return page;
    const refs = page.items.map(c => c.consumerRef);
    const [validated, rolledOut] = await Promise.all([
      validations(refs),
      this.options.rollouts.listConsumers(migrationId, refs),
    ]);
    const latest = validated ?? new Map<string, V>();
    const states = new Map(rolledOut.map(c => [c.consumerRef, c]));
    // The rollout's plan only dates a delivered patch's wait for its merge:
    // most pages (every page before a rollout starts) have none to date.
    const record = rolledOut.some(c => c.delivery?.status === 'delivered')
      ? await this.options.rollouts.getRollout(migrationId)
      : undefined;
    return {
      ...page,
      items: page.items.map(unvalidated => {
        const validation = latest.get(unvalidated.consumerRef);
        const consumer = validation
          ? { ...unvalidated, validation }
          : unvalidated;
        const state = states.get(consumer.consumerRef);
        if (!state) return consumer;
        const { state: _methodState, ...delivery } = state.delivery ?? {
          state: undefined,
        };
        return {
          ...consumer,
          wave: state.wave,
          ...(state.delivery
            ? { delivery: delivery as Consumer['delivery'] }
            : {}),
          health: state.health,
          ...(state.healthReason ? { healthReason: state.healthReason } : {}),
          ...(state.healthSource ? { healthSource: state.healthSource } : {}),
          ...(record &&
          state.delivery?.status === 'delivered' &&
          state.deliveredAt
            ? {
                waitingForMerge: {
                  since: state.deliveredAt.toISOString(),
                  // Overdue past the plan's time from its own wave's start.
                  overdue: isMergeOverdue({
                    ...record,
                    currentWave: state.wave,
                  }),
                },
              }
            : {}),
        };
      }),
    };
  }
}
