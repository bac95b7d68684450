// The checks check something: after a passing run, each of these breaks
// one invariant on purpose (in the tables or a repository), the checker
// must name it, and the table change is undone. Run at the end of every
// run, so a checker that went blind fails the test.
import { git } from './fleet.mjs';

const TAMPERINGS = [
  {
    what: 'an event lost',
    expect: /has 0 review-recorded events|is gone/,
    sql: `DELETE FROM ripple.migration_event WHERE id = (SELECT max(id) FROM ripple.migration_event WHERE type = 'review-recorded' AND migration_id = $1) RETURNING *`,
    undo: 'insert',
  },
  {
    what: 'a wave started twice',
    expect: /wave 0: 2 wave-started events/,
    sql: `INSERT INTO ripple.migration_event (migration_id, type, message, data, created_at) SELECT migration_id, type, message, data, created_at FROM ripple.migration_event WHERE migration_id = $1 AND type = 'wave-started' AND data LIKE '{"wave":0%' RETURNING *`,
    undo: 'delete',
  },
  {
    what: 'an illegal state',
    expect: /end in completed, the migration is cancelled/,
    sql: `UPDATE ripple.migration SET state = 'cancelled' WHERE id = $1 RETURNING *`,
    undo: `UPDATE ripple.migration SET state = 'completed' WHERE id = $1`,
  },
  {
    what: 'a review lost',
    expect: /recorded \(201\), is gone|current review/,
    sql: `DELETE FROM ripple.review WHERE id = $1 RETURNING *`,
    params: ({ reviewId }) => [reviewId],
    undo: 'insert',
    table: 'ripple.review',
  },
];

export async function tamper({ pool, checker, driver, consumers, log }) {
  const id = driver.ids[0];
  const reviewId = [...driver.ledger.reviews.keys()][0];
  let caught = 0;
  for (const t of TAMPERINGS) {
    const client = await pool.connect();
    try {
      // Foreign keys point at reviews (migration_consumer.current_review_id
      // is plain): nothing cascades.
      const params = t.params ? t.params({ id, reviewId }) : [id];
      const { rows } = await client.query(t.sql, params);
      if (!rows.length)
        throw new Error(`tampering "${t.what}" changed nothing`);
      try {
        await checker.run({ final: true });
        throw new Error(`the checker missed ${t.what}`);
      } catch (error) {
        if (!t.expect.test(error.message))
          throw new Error(`the checker missed ${t.what}: ${error.message}`);
        caught += 1;
      } finally {
        if (t.undo === 'insert') {
          const table = t.table ?? 'ripple.migration_event';
          for (const row of rows) {
            const cols = Object.keys(row);
            await client.query(
              `INSERT INTO ${table} (${cols
                .map(c => `"${c}"`)
                .join(', ')}) VALUES (${cols
                .map((_, i) => `$${i + 1}`)
                .join(', ')})`,
              cols.map(c => row[c]),
            );
          }
        } else if (t.undo === 'delete') {
          await client.query(
            `DELETE FROM ripple.migration_event WHERE id = ANY($1)`,
            [rows.map(r => r.id)],
          );
        } else {
          await client.query(t.undo, [id]);
        }
      }
    } finally {
      client.release();
    }
  }
  // Last, as it cannot be undone: a second commit for a delivered patch.
  const short = id.split('-')[0];
  for (const consumer of consumers) {
    const branch = (
      await git(
        consumer.bare,
        'for-each-ref',
        '--format=%(refname:short)',
        `refs/heads/ripple/${short}`,
      )
    ).trim();
    if (!branch) continue;
    const message = await git(
      consumer.bare,
      'log',
      '-1',
      '--format=%B',
      branch,
    );
    const tree = (
      await git(consumer.bare, 'rev-parse', `${branch}^{tree}`)
    ).trim();
    const parent = (await git(consumer.bare, 'rev-parse', `${branch}^`)).trim();
    const commit = (
      await git(
        consumer.bare,
        'commit-tree',
        tree,
        '-p',
        parent,
        '-m',
        `${message}\n(again)`,
      )
    ).trim();
    await git(consumer.bare, 'update-ref', `refs/heads/${branch}`, commit);
    try {
      await checker.run({ final: true });
      throw new Error('the checker missed a second commit for one patch');
    } catch (error) {
      if (!/pushed as 2 commits/.test(error.message))
        throw new Error(
          `the checker missed a second commit for one patch: ${error.message}`,
        );
      caught += 1;
    }
    break;
  }
  log(`the checker named each of ${caught} violations made on purpose`);
  return caught;
}
