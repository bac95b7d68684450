// @ts-check

/**
 * Ripple's tables (comments avoid apostrophes: knex does not escape them
 * in PostgreSQL's COMMENT ON): migrations (a change to one dataset), their timeline,
 * their consumers, each consumer's patches (one row per version, never
 * updated but for the stale flag) and the reviews of those patches (never
 * updated or deleted: the history of decisions).
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('migration', table => {
    table.comment(
      'A change to one dataset, carried to every consumer it breaks',
    );
    // Lists are ordered by seq: timestamps of migrations created in the same
    // millisecond tie, and UUIDs are unordered.
    table.increments('seq').primary();
    table
      .string('id', 36)
      .notNullable()
      .unique({ indexName: 'migration_id_uniq' })
      .comment('A UUID');
    table
      .string('dataset_ref', 512)
      .notNullable()
      .comment('The dataset entity, lower case');
    table
      .text('change', 'longtext')
      .notNullable()
      .comment('The change spec of the engine, as JSON');
    table.string('title', 512).notNullable();
    table
      .string('owner', 512)
      .notNullable()
      .comment('An entity ref, lower case');
    table.string('state', 32).notNullable();
    table.string('created_by', 512).notNullable();
    table.timestamp('created_at', { useTz: true }).notNullable();
    table.timestamp('updated_at', { useTz: true }).notNullable();
    table.index(['dataset_ref'], 'migration_dataset_ref_idx');
    table.index(['state'], 'migration_state_idx');
  });

  await knex.schema.createTable('migration_event', table => {
    table.comment('The timeline of a migration, in id order');
    table.increments('id').primary();
    table
      .string('migration_id', 36)
      .notNullable()
      .references('id')
      .inTable('migration')
      .onDelete('CASCADE');
    table.string('type', 64).notNullable();
    table.text('message').notNullable();
    table.string('actor', 512).nullable();
    table.string('consumer_ref', 512).nullable();
    table.text('data').nullable().comment('JSON');
    table.timestamp('created_at', { useTz: true }).notNullable();
    table.index(['migration_id', 'id'], 'migration_event_migration_idx');
  });

  await knex.schema.createTable('migration_consumer', table => {
    table.comment('One consumer of the dataset of a migration');
    table.increments('id').primary();
    table
      .string('migration_id', 36)
      .notNullable()
      .references('id')
      .inTable('migration')
      .onDelete('CASCADE');
    table.string('consumer_ref', 512).notNullable();
    table.string('discovered_by', 16).notNullable().comment('catalog or code');
    table.text('impact', 'longtext').nullable().comment('JSON');
    // Denormalized so that listing thousands of consumers is one query; both
    // are written in the transactions that add a patch or a review.
    table
      .integer('current_patch_id')
      .unsigned()
      .nullable()
      .comment('The latest patch of the consumer');
    table
      .integer('current_review_id')
      .unsigned()
      .nullable()
      .comment('The latest review of the current patch');
    table.timestamp('created_at', { useTz: true }).notNullable();
    table.timestamp('updated_at', { useTz: true }).notNullable();
    table.unique(['migration_id', 'consumer_ref'], {
      indexName: 'migration_consumer_ref_uniq',
    });
    table.index(['consumer_ref'], 'migration_consumer_ref_idx');
  });

  await knex.schema.createTable('patch', table => {
    table.comment(
      'One version of the edit of a consumer proposed by the engine',
    );
    table.increments('id').primary();
    table
      .integer('consumer_id')
      .unsigned()
      .notNullable()
      .references('id')
      .inTable('migration_consumer')
      .onDelete('CASCADE');
    table.integer('version').notNullable();
    table.text('diff', 'longtext').notNullable();
    table.string('base_hash', 128).notNullable();
    table.string('status', 16).notNullable();
    table.text('reasons', 'longtext').notNullable().comment('JSON');
    table.boolean('stale').notNullable().defaultTo(false);
    table.timestamp('created_at', { useTz: true }).notNullable();
    table.unique(['consumer_id', 'version'], {
      indexName: 'patch_version_uniq',
    });
  });

  await knex.schema.createTable('review', table => {
    table.comment('A decision on one patch; never updated or deleted');
    table.increments('id').primary();
    table
      .integer('patch_id')
      .unsigned()
      .notNullable()
      .references('id')
      .inTable('patch')
      .onDelete('CASCADE');
    // 1 for a patch's first review, one more for each later one: two reviews
    // racing from the same view of the patch get the same number, and the
    // unique index refuses the second.
    table.integer('sequence').notNullable();
    table.string('decision', 16).notNullable();
    table.string('reviewer', 512).notNullable();
    table.text('comment').nullable();
    table.timestamp('created_at', { useTz: true }).notNullable();
    table.unique(['patch_id', 'sequence'], {
      indexName: 'review_sequence_uniq',
    });
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('review');
  await knex.schema.dropTable('patch');
  await knex.schema.dropTable('migration_consumer');
  await knex.schema.dropTable('migration_event');
  await knex.schema.dropTable('migration');
};
