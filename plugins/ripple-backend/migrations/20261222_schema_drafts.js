// @ts-check

/**
 * Drafts from schema changes (docs/backend.md, "Drafts from schema
 * changes"):
 *
 * - `dataset_schema`: the schema last seen of each dataset entity, as
 *   `DatasetReader` read it (`columns` JSON, with each column's declared
 *   `renamedFrom`), its `hash` (of the names and types only, so a
 *   `renamed_from` declaration alone is no change) and when it was seen.
 *   The draft task compares each dataset's schema with it.
 * - on `migration`, what a draft made from a schema change keeps: its
 *   `origin` (`schema-change`; null for one a person created), the
 *   engine's inferred renames still to decide (`suggestions` JSON), what it
 *   could not decide (`undecided` JSON), the impact counted by verdict
 *   (`impact_summary` JSON), the owners' notification not yet sent
 *   (`pending_notification` JSON, written with the draft and cleared when
 *   it is sent), the schema the draft's change starts from
 *   (`schema_before` JSON: a later schema change is diffed from it, so
 *   the draft holds the whole change) and the decisions on its
 *   suggestions (`suggestion_decisions` JSON, by suggestion id: applied
 *   again when a later change recomputes the suggestions).
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('dataset_schema', table => {
    table.comment('The schema last seen of each dataset entity');
    table
      .string('dataset_ref', 512)
      .primary()
      .comment('The dataset entity, in lower case');
    table.text('columns').notNullable().comment('JSON: the columns as read');
    table
      .string('hash', 64)
      .notNullable()
      .comment('SHA-256 of the columns (names and types)');
    table.timestamp('seen_at', { useTz: true }).notNullable();
  });
  await knex.schema.alterTable('migration', table => {
    table
      .string('origin', 32)
      .nullable()
      .comment('schema-change for a draft Ripple made; null: a person');
    table.text('suggestions').nullable().comment('JSON: renames to confirm');
    table.text('undecided').nullable().comment('JSON: what was not decided');
    table
      .text('impact_summary')
      .nullable()
      .comment('JSON: consumers counted by verdict');
    table
      .text('pending_notification')
      .nullable()
      .comment('JSON: the notification to send the owners, until sent');
    table
      .text('schema_before')
      .nullable()
      .comment('JSON: the columns the change starts from');
    table
      .text('suggestion_decisions')
      .nullable()
      .comment('JSON: confirm or reject, by suggestion id');
    table.index(['dataset_ref', 'origin', 'state'], 'migration_origin_idx');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('migration', table => {
    table.dropIndex(['dataset_ref', 'origin', 'state'], 'migration_origin_idx');
    table.dropColumn('suggestion_decisions');
    table.dropColumn('schema_before');
    table.dropColumn('pending_notification');
    table.dropColumn('impact_summary');
    table.dropColumn('undecided');
    table.dropColumn('suggestions');
    table.dropColumn('origin');
  });
  await knex.schema.dropTable('dataset_schema');
};
