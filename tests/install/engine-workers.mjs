// The engine workers as a portal gets them: the plugin's pool and worker
// from its published dist/ (no TypeScript, no Backstage CLI transform),
// resolved from the portal's backend package, propose on worker threads
// exactly what the engine proposes inline.
//
// Usage: node engine-workers.mjs PORTAL_BACKEND_DIR  (exits 1 on a problem)
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const from = createRequire(join(process.argv[2], 'package.json'));
const root = dirname(
  from.resolve('@ripple/backstage-plugin-ripple-backend/package.json'),
);
const plugin = createRequire(join(root, 'package.json'));
const { EnginePool } = plugin('./dist/engine/EnginePool.cjs.js');
const { proposePatch } = plugin('./dist/agent/proposePatch.cjs.js');
const { loadEngine } = plugin('@ripple/engine');

const engine = await loadEngine();
const pool = await EnginePool.create({ engine, workers: 2 });
const args = {
  change: {
    dataset: 'proj.ds.orders',
    dialect: 'bigquery',
    changes: [{ kind: 'rename_column', column: 'amount', to: 'amount_usd' }],
  },
  code: {
    location: 'file:///x/',
    files: [{ path: 'a.sql', text: 'SELECT id, amount FROM proj.ds.orders' }],
  },
  columns: [],
  consumerRef: 'component:default/x',
};
try {
  const proposals = await Promise.all(
    [1, 2, 3, 4].map(() => pool.propose(args)),
  );
  const inline = JSON.stringify(
    proposePatch(
      engine,
      args.change,
      args.code,
      args.columns,
      args.consumerRef,
    ),
  );
  const problems = [];
  if (pool.threads.length !== 2)
    problems.push(`${pool.threads.length} worker threads ran, not 2`);
  if (!proposals.every(p => JSON.stringify(p) === inline))
    problems.push('a worker proposed another patch than the engine inline');
  if (
    !proposals[0].diff.includes(
      '+SELECT id, amount_usd AS amount FROM proj.ds.orders',
    )
  )
    problems.push(`unexpected diff: ${proposals[0].diff}`);
  if (problems.length) {
    console.error(
      `Engine workers from ${root}/dist:\n  ${problems.join('\n  ')}`,
    );
    process.exitCode = 1;
  } else {
    console.log(
      `Engine workers from ${root}/dist: 4 proposals on 2 worker threads, each the inline one`,
    );
  }
} finally {
  await pool.destroy();
}
