import { Knex } from 'knex';
import { latestOf } from './DatabaseValidationStore';
import type { ConsumerValidationFilter } from './MigrationStore';

/**
 * Keeps the consumers (`c`) whose current patch's latest validation has one
 * of `statuses` (`pending`: asked for, not started; `running`: started, not
 * finished), or has none (`not_validated`). No statuses: every consumer.
 */
export function ofValidationStatuses(
  db: Knex,
  query: Knex.QueryBuilder,
  statuses: ConsumerValidationFilter[],
): Knex.QueryBuilder {
  if (!statuses.length) return query;
  const latest = () =>
    db('validation as v')
      .select('v.id')
      .where('v.patch_id', db.ref('c.current_patch_id'))
      .where('v.id', latestOf(db, 'c.current_patch_id'));
  const finished = statuses.filter(
    s => s !== 'not_validated' && s !== 'pending' && s !== 'running',
  );
  return query.where(any => {
    if (finished.length) {
      any.orWhereExists(latest().whereIn('v.status', finished));
    }
    if (statuses.includes('pending')) {
      any.orWhereExists(
        latest().whereNull('v.finished_at').whereNull('v.started_at'),
      );
    }
    if (statuses.includes('running')) {
      any.orWhereExists(
        latest().whereNull('v.finished_at').whereNotNull('v.started_at'),
      );
    }
    if (statuses.includes('not_validated')) {
      any.orWhereNotExists(
        db('validation as v')
          .select('v.id')
          .where('v.patch_id', db.ref('c.current_patch_id')),
      );
    }
  });
}
