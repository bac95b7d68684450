// @ts-check

/**
 * The rollout of migrations (docs/rollout.md): one row per started rollout
 * with its plan and active wave, its waves, one row per consumer with its
 * wave, delivery and health, the health signals received, and the
 * compatibility view of each migration (comments avoid apostrophes: knex
 * does not escape them in PostgreSQL's COMMENT ON).
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('rollout', table => {
    table.comment('The rollout of a migration, once started');
    table
      .string('migration_id', 36)
      .primary()
      .references('id')
      .inTable('migration')
      .onDelete('CASCADE');
    table.text('plan').notNullable().comment('The plan followed, as JSON');
    table.boolean('critical').notNullable().defaultTo(false);
    table.integer('current_wave').notNullable().defaultTo(0);
    table.text('paused_reason').nullable();
    // Providers are read from here on, so that each signal is read once.
    table.timestamp('health_read_at', { useTz: true }).nullable();
    // Every write of the row compares and sets it, so that a manual advance
    // and the scheduled one cannot both move the rollout.
    table.integer('version').notNullable().defaultTo(1);
    table.timestamp('created_at', { useTz: true }).notNullable();
    table.timestamp('updated_at', { useTz: true }).notNullable();
  });

  await knex.schema.createTable('rollout_wave', table => {
    table.comment('One wave of a rollout');
    table.increments('id').primary();
    table
      .string('migration_id', 36)
      .notNullable()
      .references('migration_id')
      .inTable('rollout')
      .onDelete('CASCADE');
    table.integer('wave_index').notNullable();
    table.string('name', 64).notNullable();
    table.timestamp('started_at', { useTz: true }).nullable();
    table.timestamp('completed_at', { useTz: true }).nullable();
    table.unique(['migration_id', 'wave_index'], {
      indexName: 'rollout_wave_index_uniq',
    });
  });

  await knex.schema.createTable('rollout_consumer', table => {
    table.comment('A consumer in a rollout: its wave, delivery and health');
    table.increments('id').primary();
    table
      .string('migration_id', 36)
      .notNullable()
      .references('migration_id')
      .inTable('rollout')
      .onDelete('CASCADE');
    table.string('consumer_ref', 512).notNullable();
    table.integer('wave_index').notNullable();
    table.integer('position').notNullable().comment('Order in the plan');
    table
      .string('delivery_status', 16)
      .nullable()
      .comment('Null until its wave starts');
    table.string('delivery_method', 64).nullable();
    table.text('delivery').nullable().comment('The delivery method state, JSON');
    table.integer('delivered_patch_id').nullable();
    table.timestamp('delivered_at', { useTz: true }).nullable();
    // Set while a delivery or a revert is in flight, so that two runners do
    // not both deliver; an old claim (a crash) may be taken over.
    table.timestamp('claimed_at', { useTz: true }).nullable();
    table
      .boolean('held')
      .notNullable()
      .defaultTo(false)
      .comment('Rolled back alone: not delivered again until resumed');
    table.string('health', 16).notNullable().defaultTo('unknown');
    table.text('health_reason').nullable();
    table.timestamp('updated_at', { useTz: true }).notNullable();
    table.unique(['migration_id', 'consumer_ref'], {
      indexName: 'rollout_consumer_ref_uniq',
    });
    table.index(['migration_id', 'wave_index'], 'rollout_consumer_wave_idx');
  });

  await knex.schema.createTable('health_signal', table => {
    table.comment('A health signal of a consumer during a migration');
    table.increments('id').primary();
    table
      .string('migration_id', 36)
      .notNullable()
      .references('id')
      .inTable('migration')
      .onDelete('CASCADE');
    table.string('consumer_ref', 512).notNullable();
    table.string('source', 128).notNullable().comment('api or a provider id');
    table.double('error_rate').nullable();
    table.double('freshness_minutes').nullable();
    table.bigInteger('row_count').nullable();
    table.integer('failed_runs').nullable();
    table.timestamp('observed_at', { useTz: true }).notNullable();
    table.timestamp('created_at', { useTz: true }).notNullable();
    // A provider read twice over the same period reports a signal once.
    table.unique(['migration_id', 'consumer_ref', 'source', 'observed_at'], {
      indexName: 'health_signal_uniq',
    });
  });

  await knex.schema.createTable('compat_view', table => {
    table.comment('The compatibility view of a migration, once applied');
    table
      .string('migration_id', 36)
      .primary()
      .references('id')
      .inTable('migration')
      .onDelete('CASCADE');
    table.string('applied_by', 512).notNullable();
    table.timestamp('applied_at', { useTz: true }).notNullable();
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('compat_view');
  await knex.schema.dropTable('health_signal');
  await knex.schema.dropTable('rollout_consumer');
  await knex.schema.dropTable('rollout_wave');
  await knex.schema.dropTable('rollout');
};
