import { ConflictError, NotFoundError } from '@backstage/errors';
import type {
  EngineCanary,
  EngineCanaryConsumer,
  EngineCanaryOutcome,
  EngineCanaryState,
  MigrationState,
} from '@ripple/backstage-plugin-ripple-common';
import type { Knex } from 'knex';
import type {
  CanarySample,
  CanarySummary,
  EngineCanaryStore,
  OutdatedPatch,
} from './EngineCanaryStore';
import { sampleKey } from './EngineCanaryStore';
import { count, PatchRow, timestamp, toPatch, type Timestamp } from './rows';

// The migrations whose patches the agent keeps current (MigrationAgent).
const OPEN_STATES: MigrationState[] = ['proposed', 'rolling_out', 'paused'];
/** How a patch made before versions were recorded is named. */
export const UNKNOWN_VERSION = 'unknown';

type CanaryRow = {
  id: number;
  engine_version: string;
  previous_versions: string;
  state: EngineCanaryState;
  decided_by: string | null;
  decision_comment: string | null;
  decided_at: Timestamp | null;
  created_at: Timestamp;
  sampled_at: Timestamp | null;
};

type SampleRow = {
  canary_id: number;
  migration_id: string;
  consumer_ref: string;
  patch_id: number;
  outcome: EngineCanaryOutcome;
  diff: string;
  status: EngineCanaryConsumer['proposed']['status'];
  reasons: string;
  base_hash: string;
};

/** {@link EngineCanaryStore} on Ripple's database (migrations/20270103_engine_versions.js). */
export class DatabaseEngineCanaryStore implements EngineCanaryStore {
  constructor(private readonly db: Knex) {}

  private outdatedQuery(engineVersion: string) {
    return (
      this.db('migration_consumer as c')
        .join('migration as m', 'm.id', 'c.migration_id')
        .join('patch as p', 'p.id', 'c.current_patch_id')
        .whereNull('c.removed_at')
        .whereIn('m.state', OPEN_STATES)
        .where(q =>
          q
            .whereNull('p.engine_version')
            .orWhereNot('p.engine_version', engineVersion),
        )
        // A delivered patch is in the consumer's code (a branch, a merge):
        // another engine's proposal would not change what was delivered.
        .whereNotExists(
          this.db('rollout_consumer as rc')
            .select('rc.consumer_ref')
            .whereRaw('rc.migration_id = c.migration_id')
            .whereRaw('rc.consumer_ref = c.consumer_ref')
            .whereRaw('rc.delivered_patch_id = c.current_patch_id'),
        )
    );
  }

  async outdatedPatches(
    engineVersion: string,
    options: { migrationIds?: string[]; limit?: number } = {},
  ): Promise<OutdatedPatch[]> {
    let query = this.outdatedQuery(engineVersion)
      .select(
        'p.*',
        'c.migration_id',
        'c.consumer_ref',
        'm.dataset_ref',
        'm.change',
      )
      .orderBy([
        { column: 'm.seq', order: 'asc' },
        { column: 'c.consumer_ref', order: 'asc' },
      ])
      .limit(options.limit ?? 10_000);
    if (options.migrationIds) {
      query = query.whereIn('m.id', options.migrationIds);
    }
    const rows: (PatchRow & {
      migration_id: string;
      consumer_ref: string;
      dataset_ref: string;
      change: string;
    })[] = await query;
    return rows.map(row => ({
      migrationId: row.migration_id,
      datasetRef: row.dataset_ref,
      change: JSON.parse(row.change),
      patch: toPatch(row, row),
    }));
  }

  async countOutdatedPatches(engineVersion: string): Promise<number> {
    return count(this.outdatedQuery(engineVersion));
  }

  async getCanarySummary(
    engineVersion: string,
  ): Promise<CanarySummary | undefined> {
    const row = await this.db<CanaryRow>('engine_canary')
      .where({ engine_version: engineVersion })
      .first();
    return row && toSummary(row);
  }

  async getCanary(engineVersion: string): Promise<EngineCanary | undefined> {
    const row = await this.db<CanaryRow>('engine_canary')
      .where({ engine_version: engineVersion })
      .first();
    if (!row) return undefined;
    const samples: (SampleRow &
      PatchRow & { migration_title: string; current_id: number })[] =
      await this.db('engine_canary_consumer as s')
        .join('patch as p', 'p.id', 's.patch_id')
        .join('migration as m', 'm.id', 's.migration_id')
        .where('s.canary_id', row.id)
        .select(
          'p.*',
          'p.id as current_id',
          's.migration_id',
          's.consumer_ref',
          's.outcome',
          's.diff as proposed_diff',
          's.status as proposed_status',
          's.reasons as proposed_reasons',
          's.base_hash as proposed_base_hash',
          'm.title as migration_title',
        )
        .orderBy([
          { column: 'm.seq', order: 'asc' },
          { column: 's.consumer_ref', order: 'asc' },
        ]);
    const consumers: EngineCanaryConsumer[] = samples.map(s => {
      const proposed = s as unknown as Record<string, string>;
      return {
        migrationId: s.migration_id,
        migrationTitle: s.migration_title,
        consumerRef: s.consumer_ref,
        outcome: s.outcome,
        current: toPatch({ ...s, id: s.current_id }, s),
        proposed: {
          diff: proposed.proposed_diff,
          status:
            proposed.proposed_status as EngineCanaryConsumer['proposed']['status'],
          reasons: JSON.parse(proposed.proposed_reasons),
          baseHash: proposed.proposed_base_hash,
        },
      };
    });
    const counts: EngineCanary['counts'] = {
      unchanged: 0,
      changed: 0,
      newly_rewritten: 0,
      newly_for_a_person: 0,
    };
    for (const consumer of consumers) counts[consumer.outcome] += 1;
    return { ...toSummary(row), counts, consumers };
  }

  async startCanary(
    engineVersion: string,
    previousVersions: string[],
  ): Promise<CanarySummary> {
    await this.db('engine_canary')
      .insert({
        engine_version: engineVersion,
        previous_versions: JSON.stringify(previousVersions),
        state: 'sampling',
        created_at: new Date(),
      })
      .onConflict('engine_version')
      .ignore();
    return (await this.getCanarySummary(engineVersion))!;
  }

  async recordSample(
    engineVersion: string,
    sample: CanarySample,
  ): Promise<void> {
    const canary = await this.canaryRow(this.db, engineVersion);
    await this.db('engine_canary_consumer')
      .insert({
        canary_id: canary.id,
        migration_id: sample.migrationId,
        consumer_ref: sample.consumerRef.toLocaleLowerCase('en-US'),
        patch_id: sample.patchId,
        outcome: sample.outcome,
        diff: sample.proposal.diff,
        status: sample.proposal.status,
        reasons: JSON.stringify(sample.proposal.reasons),
        base_hash: sample.proposal.baseHash,
        created_at: new Date(),
      })
      .onConflict(['canary_id', 'migration_id', 'consumer_ref'])
      .ignore();
  }

  async sampledKeys(engineVersion: string): Promise<Set<string>> {
    const rows: { migration_id: string; consumer_ref: string }[] =
      await this.db('engine_canary_consumer as s')
        .join('engine_canary as e', 'e.id', 's.canary_id')
        .where('e.engine_version', engineVersion)
        .select('s.migration_id', 's.consumer_ref');
    return new Set(rows.map(r => sampleKey(r.migration_id, r.consumer_ref)));
  }

  async finishSampling(engineVersion: string): Promise<void> {
    await this.db('engine_canary')
      .where({ engine_version: engineVersion, state: 'sampling' })
      .update({ state: 'awaiting_decision', sampled_at: new Date() });
  }

  async decide(input: {
    engineVersion: string;
    state: 'accepted' | 'refused';
    decidedBy: string;
    comment?: string;
  }): Promise<EngineCanary> {
    await this.db.transaction(async trx => {
      const canary = await this.canaryRow(trx, input.engineVersion);
      // Conditional on the state read: of two decisions at once, one wins.
      const updated = await trx('engine_canary')
        .where({ id: canary.id, state: 'awaiting_decision' })
        .update({
          state: input.state,
          decided_by: input.decidedBy,
          decision_comment: input.comment ?? null,
          decided_at: new Date(),
        });
      if (updated !== 1) {
        throw new ConflictError(
          canary.state === 'sampling'
            ? `The canary of engine ${input.engineVersion} is still sampling; decide once its sample is done`
            : `The canary of engine ${input.engineVersion} was ${canary.state} already`,
        );
      }
    });
    return (await this.getCanary(input.engineVersion))!;
  }

  private async canaryRow(
    db: Knex | Knex.Transaction,
    engineVersion: string,
  ): Promise<CanaryRow> {
    const row = await db<CanaryRow>('engine_canary')
      .where({ engine_version: engineVersion })
      .first();
    if (!row) {
      throw new NotFoundError(`No canary of engine ${engineVersion}`);
    }
    return row;
  }
}

function toSummary(row: CanaryRow): CanarySummary {
  return {
    engineVersion: row.engine_version,
    previousVersions: JSON.parse(row.previous_versions),
    state: row.state,
    createdAt: timestamp(row.created_at),
    ...(row.sampled_at ? { sampledAt: timestamp(row.sampled_at) } : {}),
    ...(row.decided_by ? { decidedBy: row.decided_by } : {}),
    ...(row.decided_at ? { decidedAt: timestamp(row.decided_at) } : {}),
    ...(row.decision_comment ? { comment: row.decision_comment } : {}),
  };
}
