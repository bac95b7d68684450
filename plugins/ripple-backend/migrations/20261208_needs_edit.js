// @ts-check

/**
 * The glossary (docs/backend.md): the engine's verdict that a person must
 * edit a consumer's code is `needs_edit`; `needs_review`, its old name, read
 * like the owners' pending decision. Stored patches take the new name.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex('patch')
    .where({ status: 'needs_review' })
    .update({ status: 'needs_edit' });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex('patch')
    .where({ status: 'needs_edit' })
    .update({ status: 'needs_review' });
};
