// @ts-check

/**
 * OpenLineage runs and the datasets of their jobs (docs/health.md), as the
 * OpenLineage health provider reads them: one row per run, merged from its
 * events in whatever order they arrive, and one row per job, dataset and
 * direction. Neither keeps a facet: only the few values the health signals
 * need. Jobs' and datasets' names may be long (1024 characters, the API's
 * limit), so rows are found by a SHA-256 of the names (`job_key`, `id`)
 * rather than by indexes over the names themselves.
 *
 * And `health_signal.duration_seconds`: how long a consumer's last
 * successful run took.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('openlineage_run', table => {
    table.comment('An OpenLineage run: the merge of its events');
    table.string('run_id', 36).primary().comment('The run id (a UUID)');
    table.string('job_key', 64).notNullable().comment('SHA-256 of the job');
    table.string('job_namespace', 1024).notNullable();
    table.string('job_name', 1024).notNullable();
    table
      .string('state', 16)
      .notNullable()
      .comment('START, RUNNING, COMPLETE, ABORT, FAIL or OTHER');
    table
      .timestamp('state_event_time', { useTz: true })
      .notNullable()
      .comment('The eventTime of the event the state comes from');
    table.timestamp('started_at', { useTz: true }).nullable();
    table.timestamp('ended_at', { useTz: true }).nullable();
    table
      .bigInteger('output_rows')
      .nullable()
      .comment('Rows written: the outputStatistics facets of the outputs');
    table
      .text('error_message')
      .nullable()
      .comment('The errorMessage run facet of a failed run');
    table.timestamp('created_at', { useTz: true }).notNullable();
    table
      .timestamp('updated_at', { useTz: true })
      .notNullable()
      .comment('When an event of the run last changed it');
    table.index(['job_key', 'updated_at'], 'openlineage_run_job_idx');
    table.index(['updated_at'], 'openlineage_run_updated_idx');
  });
  await knex.schema.createTable('openlineage_job_dataset', table => {
    table.comment('A dataset an OpenLineage job reads or writes');
    table
      .string('id', 64)
      .primary()
      .comment('SHA-256 of the job, the dataset and the direction');
    table.string('job_key', 64).notNullable();
    table.string('job_namespace', 1024).notNullable();
    table.string('job_name', 1024).notNullable();
    table.string('dataset_namespace', 1024).notNullable();
    table.string('dataset_name', 1024).notNullable();
    table.string('direction', 8).notNullable().comment('input or output');
    table.timestamp('last_seen_at', { useTz: true }).notNullable();
    table.index(['job_key'], 'openlineage_job_dataset_job_idx');
    table.index(['last_seen_at'], 'openlineage_job_dataset_seen_idx');
  });
  await knex.schema.alterTable('health_signal', table => {
    table.double('duration_seconds').nullable();
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('health_signal', table => {
    table.dropColumn('duration_seconds');
  });
  await knex.schema.dropTable('openlineage_job_dataset');
  await knex.schema.dropTable('openlineage_run');
};
