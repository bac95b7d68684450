// @ts-check

/**
 * The consumer index checks a repository's locations together where the
 * SCM's etag is the whole repository's (docs/backend.md, "The consumer
 * index"): `repository` is its root URL at the location's ref, '' for a
 * location checked alone. Claims run in (repository, entity_ref) order, so
 * a batch holds a repository's locations together; the index is that order.
 * Rows before this migration get theirs at the next scan.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('consumer_index', table => {
    table
      .string('repository', 512)
      .notNullable()
      .defaultTo('')
      .comment("The repository checked as one; '': the location alone");
    table.index(['repository', 'entity_ref'], 'consumer_index_repository_idx');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('consumer_index', table => {
    table.dropIndex(
      ['repository', 'entity_ref'],
      'consumer_index_repository_idx',
    );
    table.dropColumn('repository');
  });
};
