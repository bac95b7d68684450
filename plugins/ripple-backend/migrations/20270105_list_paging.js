// @ts-check

/**
 * Pages that stay fast (docs/backend.md, "Paging"):
 * - `migration_consumer_count`: how many consumers a migration has (facet
 *   `all`) and how many of them have a current patch with a reason of each
 *   kind (facet `reason:<kind>`), the counts the consumer list's
 *   `totalCount` shows unfiltered or filtered by one reason kind. Written
 *   in the transaction of each write that moves a consumer in or out of a
 *   facet (database/consumerCounts.ts), so it never drifts, even after a
 *   `kill -9`; backfilled here from the existing rows.
 * - Indexes for the keyset pages of the list routes and the filters the
 *   portal sends (each justified below).
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('migration_consumer_count', table => {
    table.comment(
      'How many consumers of a migration are in each facet its list counts',
    );
    table
      .string('migration_id', 36)
      .notNullable()
      .references('id')
      .inTable('migration')
      .onDelete('CASCADE');
    table
      .string('facet', 80)
      .notNullable()
      .comment('all, or reason:<kind> (the current patch has such a reason)');
    table.integer('count').notNullable().defaultTo(0);
    table.primary(['migration_id', 'facet'], 'migration_consumer_count_pk');
  });

  // The backfill: the consumers not removed, and those whose current patch
  // has a reason of each kind. `||` concatenates in SQLite and PostgreSQL.
  await knex.raw(
    `insert into migration_consumer_count (migration_id, facet, count)
     select c.migration_id, 'all', count(*)
       from migration_consumer c
      where c.removed_at is null
      group by c.migration_id`,
  );
  await knex.raw(
    `insert into migration_consumer_count (migration_id, facet, count)
     select c.migration_id, 'reason:' || k.kind, count(*)
       from migration_consumer c
       join patch_reason_kind k on k.patch_id = c.current_patch_id
      where c.removed_at is null
      group by c.migration_id, k.kind`,
  );

  await knex.schema.alterTable('migration', table => {
    // The migrations list sorted by deadline (the portal's fleet page, and
    // its "overdue" and "due this week" filters, `target_date <= ?`): the
    // cursor's seek on (target_date, seq) and the order come from it.
    table.index(['target_date', 'seq'], 'migration_deadline_page_idx');
    // A dataset's migrations newest first (the dataset entity's page sends
    // `dataset`; the entity route's `dataset_ref = ?` branch): the seek and
    // the order on seq within one dataset.
    table.index(['dataset_ref', 'seq'], 'migration_dataset_page_idx');
    // The list filtered by state (`state`, and the agent's migrations in a
    // state), newest first: the seek on seq within the states asked for.
    table.index(['state', 'seq'], 'migration_state_page_idx');
  });
  await knex.schema.alterTable('migration_event', table => {
    // The timeline is paged by place (`seq > ?` within one migration,
    // ordered by seq); the older index on (migration_id, id) orders by id,
    // which is not the timeline's order, so every page sorted them all.
    table.index(['migration_id', 'seq'], 'migration_event_page_idx');
  });
  await knex.schema.alterTable('migration_consumer', table => {
    // The migrations an entity consumes (the entity's page): found from
    // the entity ref with their migration ids in the index, not by reading
    // every row of the entity.
    table.index(
      ['consumer_ref', 'migration_id'],
      'migration_consumer_entity_idx',
    );
    // The consumer list's seek and order need nothing new:
    // `migration_consumer_ref_uniq` is (migration_id, consumer_ref).
  });
  await knex.schema.alterTable('validation', table => {
    // The consumer list's validation filter asks for each consumer's
    // latest validation, max(id) of its current patch: answered from this
    // index alone (`validation_run_uniq` is by run, not id). The reason
    // filter is served by `patch_reason_kind`'s key (patch_id, kind).
    table.index(['patch_id', 'id'], 'validation_latest_idx');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('validation', table => {
    table.dropIndex(['patch_id', 'id'], 'validation_latest_idx');
  });
  await knex.schema.alterTable('migration_consumer', table => {
    table.dropIndex(
      ['consumer_ref', 'migration_id'],
      'migration_consumer_entity_idx',
    );
  });
  await knex.schema.alterTable('migration_event', table => {
    table.dropIndex(['migration_id', 'seq'], 'migration_event_page_idx');
  });
  await knex.schema.alterTable('migration', table => {
    table.dropIndex(['state', 'seq'], 'migration_state_page_idx');
    table.dropIndex(['dataset_ref', 'seq'], 'migration_dataset_page_idx');
    table.dropIndex(['target_date', 'seq'], 'migration_deadline_page_idx');
  });
  await knex.schema.dropTable('migration_consumer_count');
};
