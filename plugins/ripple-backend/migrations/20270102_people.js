// @ts-check

/**
 * People and deadlines (docs/backend.md, "Deadlines and notifications"):
 * - `migration.target_date`: the day (YYYY-MM-DD) by which every consumer
 *   should be done; null without a deadline.
 * - `owner_notification`: the ledger of notifications to consumer owners,
 *   one row per thing told (its key), claimed in a transaction before it is
 *   sent and marked sent after, so that neither a restart nor a second
 *   replica sends it twice.
 * - `notification_cursor`: the last timeline event turned into
 *   notifications. It starts at the newest event when this runs, so that an
 *   upgraded portal does not tell owners about its past.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('migration', table => {
    table
      .string('target_date', 10)
      .nullable()
      .comment('The deadline, YYYY-MM-DD');
    table.index(['target_date'], 'migration_target_date_idx');
  });
  await knex.schema.createTable('owner_notification', table => {
    table.comment('A notification to consumer owners, sent once');
    table
      .string('key', 700)
      .primary()
      .comment('What it is about, e.g. review:<migration>:<consumer>:<patch>');
    table.string('kind', 32).notNullable();
    table.string('migration_id', 36).nullable();
    table.string('consumer_ref', 512).nullable();
    table
      .text('recipients')
      .notNullable()
      .comment('JSON: the entity refs told');
    table
      .text('payload')
      .notNullable()
      .comment('JSON: title, description, link');
    table
      .string('status', 16)
      .notNullable()
      .comment('pending, sending, sent or skipped');
    table.string('claim_token', 36).nullable();
    table.timestamp('claimed_at', { useTz: true }).nullable();
    table.integer('attempts').notNullable().defaultTo(0);
    table.timestamp('created_at', { useTz: true }).notNullable();
    table.timestamp('sent_at', { useTz: true }).nullable();
    table.index(['status'], 'owner_notification_status_idx');
    table.index(['consumer_ref'], 'owner_notification_consumer_idx');
  });
  await knex.schema.createTable('notification_cursor', table => {
    table.comment('The last timeline event turned into notifications');
    table.string('name', 32).primary();
    table.integer('event_id').notNullable();
  });
  // Events are read by their place on the timeline (20270100_event_order).
  const newest = await knex('migration_event').max('seq as id').first();
  await knex('notification_cursor').insert({
    name: 'events',
    event_id: Number(newest?.id ?? 0),
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('notification_cursor');
  await knex.schema.dropTable('owner_notification');
  await knex.schema.alterTable('migration', table => {
    table.dropIndex(['target_date'], 'migration_target_date_idx');
    table.dropColumn('target_date');
  });
};
