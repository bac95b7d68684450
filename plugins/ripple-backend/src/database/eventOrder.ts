import { Knex } from 'knex';

/**
 * Gives the committed events without a place on the timeline their `seq`,
 * after every place already given, in the order of their ids (migration
 * 20270100_event_order). Ids are taken when a transaction inserts and
 * transactions commit in any order; places are given only to what is
 * committed, one giver at a time, so a reader paging with `?after=` never
 * skips an event that becomes visible later. Cheap when there is nothing to
 * give (one look at a partial index), which is most reads.
 */
export async function sequenceEvents(db: Knex): Promise<void> {
  const waiting = await db('migration_event')
    .whereNull('seq')
    .select('id')
    .first();
  if (!waiting) return;
  await db.transaction(async trx => {
    if (trx.client.config.client === 'pg') {
      // One giver at a time (SQLite's writers are serialised already); held
      // until commit, so the next one sees these places.
      await trx.raw(
        "select pg_advisory_xact_lock(hashtext('ripple:event-seq'))",
      );
    }
    await trx.raw(
      `update migration_event as e
          set seq = b.m + t.n
         from (select coalesce(max(seq), 0) as m from migration_event) as b,
              (select id, row_number() over (order by id) as n
                 from migration_event where seq is null) as t
        where e.id = t.id`,
    );
  });
}
