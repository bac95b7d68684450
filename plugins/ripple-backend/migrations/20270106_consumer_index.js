// @ts-check

/**
 * The consumer index (docs/backend.md, "The consumer index"): what the
 * code of each catalog entity reads, so that a migration, a preview or a
 * dataset's code page reads its candidates from here instead of reading
 * every repository.
 * - `consumer_index`: one row per entity with a code location: where its
 *   code is, the code as last read (gzipped JSON) with the reader's etag,
 *   the engine's summary of it and the engine version that made it, and
 *   the claim of the replica indexing it (a replica killed in the middle
 *   loses it after its lease).
 * - `consumer_index_read`: the tables each entity's code reads, by the
 *   last part of their name (`orders` for `proj.ds.orders`, `shop.orders`
 *   or a dbt `source('shop', 'orders')`), `*` when it may read any; the
 *   lookup of a dataset's candidates.
 * - `consumer_index_scan`: when the last catalog scan started and ended
 *   (the index serves reads once one has ended), and when a refresh of
 *   every entity was last asked for.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('consumer_index', table => {
    table.comment('The code of each entity with a code location, summarised');
    table
      .string('entity_ref', 512)
      .primary()
      .comment('The entity, as stringifyEntityRef writes it, lower-cased');
    table.string('display_ref', 512).notNullable();
    table
      .text('read_spec', 'longtext')
      .notNullable()
      .comment('Where and how its code is read: {location, paths, dialect}');
    table
      .string('read_key', 64)
      .notNullable()
      .comment('The hash of read_spec: a change reads the code again');
    table
      .string('entity_etag', 255)
      .nullable()
      .comment('The catalog etag of the entity at the last scan');
    table.timestamp('scanned_at', { useTz: true }).notNullable();
    table
      .text('invalid', 'longtext')
      .nullable()
      .comment('Why an annotation of the entity is unusable; nothing is read');
    table
      .string('content_etag', 512)
      .nullable()
      .comment("The reader's etag of the code read last");
    table.binary('code').nullable().comment('ConsumerCode, gzipped JSON');
    table.string('code_hash', 80).nullable();
    table.integer('code_bytes').nullable();
    table
      .text('summary', 'longtext')
      .nullable()
      .comment('Tables read (with their columns) and written, as JSON');
    table.string('engine_version', 64).nullable();
    table
      .text('error', 'longtext')
      .nullable()
      .comment('Why the last read failed (the code read before stays)');
    table
      .timestamp('checked_at', { useTz: true })
      .nullable()
      .comment('When the SCM was last asked; null: never (due now)');
    table
      .string('claimed_by', 64)
      .nullable()
      .comment('The token of the claim of the replica indexing it');
    table.timestamp('claim_until', { useTz: true }).nullable();
    // The claim query's filters: due by age, by engine version.
    table.index(['checked_at'], 'consumer_index_checked_idx');
    table.index(['engine_version'], 'consumer_index_engine_idx');
    table.index(['scanned_at'], 'consumer_index_scanned_idx');
  });
  await knex.schema.createTable('consumer_index_read', table => {
    table.comment('The tables an entity code reads, by the last part of name');
    table
      .string('entity_ref', 512)
      .notNullable()
      .references('entity_ref')
      .inTable('consumer_index')
      .onDelete('CASCADE');
    table.string('table_key', 255).notNullable();
    table.primary(['entity_ref', 'table_key']);
    // A dataset's candidates: every reader of its table's name.
    table.index(['table_key'], 'consumer_index_read_table_idx');
  });
  await knex.schema.createTable('consumer_index_scan', table => {
    table.comment('The catalog scans of the consumer index');
    table.string('id', 16).primary().comment('catalog');
    table.timestamp('started_at', { useTz: true }).nullable();
    table.timestamp('completed_at', { useTz: true }).nullable();
    table.integer('entities').nullable();
    table
      .timestamp('refresh_requested_at', { useTz: true })
      .nullable()
      .comment('POST /index/refresh: every entity checked before it is due');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('consumer_index_scan');
  await knex.schema.dropTable('consumer_index_read');
  await knex.schema.dropTable('consumer_index');
};
