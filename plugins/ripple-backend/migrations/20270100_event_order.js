// @ts-check

/**
 * `migration_event.seq`: an event's place on the timeline, the `id` the API
 * serves and `?after=` pages by. A row's `id` is taken when its transaction
 * inserts it, and transactions commit in any order, so a reader paging by
 * `id` could be served 27 and never see 12, committed later. `seq` is given
 * to committed events only, in one serialised step before each read
 * (database/eventOrder.ts), so it only grows as events become visible.
 * Events written before this migration keep their id as their place.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('migration_event', table => {
    table
      .bigInteger('seq')
      .nullable()
      .comment("The event's place on the timeline; null until it is given");
  });
  await knex('migration_event').update({ seq: knex.ref('id') });
  await knex.schema.alterTable('migration_event', table => {
    table.unique(['seq'], { indexName: 'migration_event_seq_unique' });
  });
  // The events still to be given their place: few, and found at once.
  await knex.raw(
    'CREATE INDEX migration_event_unsequenced ON migration_event (id) WHERE seq IS NULL',
  );
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.raw('DROP INDEX migration_event_unsequenced');
  await knex.schema.alterTable('migration_event', table => {
    table.dropUnique(['seq'], 'migration_event_seq_unique');
    table.dropColumn('seq');
  });
};
