// The crash test's fleet: datasets and their consumers, each in a git
// repository of its own (a bare repository the backend delivers branches to,
// and a clone its owners work in, whose files the agent reads), and the
// catalog file that declares them. Every choice is drawn from the seeded
// random generator, so a seed replays the same fleet.
import { execFile } from 'node:child_process';
import fsSync from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { OWNER_DOCS } from './util.mjs';

const exec = promisify(execFile);

const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Owner',
  GIT_AUTHOR_EMAIL: 'owner@example.com',
  GIT_COMMITTER_NAME: 'Owner',
  GIT_COMMITTER_EMAIL: 'owner@example.com',
};

export async function git(cwd, ...args) {
  const { stdout } = await exec('git', args, { cwd, env: GIT_ENV });
  return stdout;
}

/**
 * The datasets, one per migration of the run: `crash-orders-<k>`, table
 * `proj.ds.orders_<k>`, each changed by a rename of its `amount` column.
 * Every consumer reads each of them in a file of its own.
 */
export function dataset(k) {
  const table = `proj.ds.orders_${k}`;
  return {
    k,
    name: `crash-orders-${k}`,
    ref: `resource:default/crash-orders-${k}`,
    table,
    change: {
      dataset: table,
      dialect: 'bigquery',
      changes: [{ kind: 'rename_column', column: 'amount', to: 'amount_usd' }],
    },
    file: `models/orders_${k}.sql`,
    // A USING join on the renamed column, in a second file: the engine edits
    // the first file and asks a person about this one (`needs_edit`). (In
    // the same file it would propose no edit at all: an empty patch.)
    reviewFile: `models/refunds_${k}.sql`,
  };
}

export const code = {
  // A patch the engine makes and verifies alone (`rewritten`).
  reads: t => `SELECT o.id, o.amount\nFROM ${t} AS o\n`,
  needsEdit: t => `SELECT *\nFROM ${t}\nJOIN proj.ds.refunds USING (amount)\n`,
  // The late consumer's code before it starts reading the dataset.
  unrelated: () => 'SELECT 1 AS id\n',
  // What the owners of `edited` add after the rollout started: a new version
  // of its patch, proposed by the agent's refresh.
  edit: t => `\n;\nSELECT o.customer, o.amount AS spent\nFROM ${t} AS o\n`,
};

/**
 * Roles in each migration, each consumer one (besides `merge` and
 * `declared`, drawn apart):
 * - `reject`: a person rejects its patch; it is never delivered;
 * - `approve`: a person approves it before the start;
 * - `needsEdit`: its patch needs a person, who approves it during the rollout;
 * - `edited`: its owners change its code after the start (a second patch
 *   version). Always the same consumer, critical, so it goes last and its
 *   second version comes before its wave;
 * - `late`: reads the dataset only after the start, found by the refresh;
 * - `auto`: approved by the plan's auto-approval.
 */
export function drawFleet(rng, count, migrations) {
  if (count < 7)
    throw new Error(`--consumers must be at least 7 (got ${count})`);
  const names = Array.from(
    { length: count },
    (_, i) => `c${String(i + 1).padStart(2, '0')}`,
  );
  const edited = rng.pick(names);
  const lifecycles = ['experimental', 'development', 'production'];
  const consumers = names.map(name => ({
    name,
    ref: `component:default/${name}`,
    critical: name === edited,
    lifecycle: rng.pick(lifecycles),
    in: [],
  }));
  for (let k = 0; k < migrations; k++) {
    const others = rng.shuffle(names.filter(n => n !== edited));
    const special = ['reject', 'approve', 'approve', 'needsEdit', 'late'];
    for (const consumer of consumers) {
      const i = others.indexOf(consumer.name);
      const role = consumer.critical ? 'edited' : special[i] ?? 'auto';
      consumer.in.push({
        role,
        // Owners merge about half of the delivered branches at once, the
        // others a few seconds later (driver.mjs).
        merge: rng.next() < 0.5,
        // Half declare `dependsOn` the dataset; the others are found in
        // their code (the late one cannot: it does not read it yet).
        declared: role !== 'late' && rng.next() < 0.5,
      });
    }
  }
  return consumers;
}

export async function createFleet(root, consumers, migrations) {
  await fs.mkdir(path.join(root, 'repos'), { recursive: true });
  const docs = [OWNER_DOCS];
  for (let k = 0; k < migrations; k++) {
    const d = dataset(k);
    docs.push(`apiVersion: backstage.io/v1alpha1
kind: Resource
metadata:
  name: ${d.name}
  annotations:
    ripple.io/table: ${d.table}
    ripple.io/dialect: bigquery
    ripple.io/schema: '{id: INT64, amount: NUMERIC, customer: STRING}'
spec:
  type: dataset
  owner: group:default/data-platform`);
  }
  // The second consumer reads the first (a dependency of the plan's order).
  const [upstream, downstream] = consumers;
  for (const consumer of consumers) {
    consumer.bare = path.join(root, 'repos', `${consumer.name}.git`);
    consumer.clone = path.join(root, 'repos', consumer.name);
    await git(
      root,
      'init',
      '--quiet',
      '--bare',
      '--initial-branch=main',
      consumer.bare,
    );
    // Every update of every ref is logged, so the invariants see each branch
    // and commit ever pushed, even one moved or deleted since.
    await git(consumer.bare, 'config', 'core.logAllRefUpdates', 'always');
    const hook = path.join(consumer.bare, 'hooks', 'post-receive');
    await fs.writeFile(hook, '#!/bin/sh\ncat >> ripple-pushes.log\n', {
      mode: 0o755,
    });
    await git(root, 'clone', '--quiet', consumer.bare, consumer.clone);
    await git(consumer.clone, 'checkout', '--quiet', '-B', 'main');
    await fs.mkdir(path.join(consumer.clone, 'models'), { recursive: true });
    const dependsOn = consumer === downstream ? [upstream.ref] : [];
    consumer.in.forEach(({ role, declared }, k) => {
      const d = dataset(k);
      if (declared) dependsOn.push(d.ref);
      const files = {
        [d.file]: role === 'late' ? code.unrelated() : code.reads(d.table),
      };
      if (role === 'needsEdit') files[d.reviewFile] = code.needsEdit(d.table);
      for (const [file, content] of Object.entries(files)) {
        fsSync.writeFileSync(path.join(consumer.clone, file), content);
      }
    });
    await git(consumer.clone, 'add', '.');
    await git(consumer.clone, 'commit', '--quiet', '-m', 'Initial code');
    await git(consumer.clone, 'push', '--quiet', 'origin', 'main');
    docs.push(`apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: ${consumer.name}
  annotations:
    backstage.io/source-location: url:file://${consumer.clone}/
    ripple.io/delivery: git-branch
    ripple.io/git-repository: ${consumer.bare}${
      consumer.critical ? '\n    ripple.io/criticality: critical' : ''
    }
spec:
  type: pipeline
  lifecycle: ${consumer.lifecycle}
  owner: group:default/data-platform${
    dependsOn.length
      ? `\n  dependsOn:\n${dependsOn.map(x => `    - ${x}`).join('\n')}`
      : ''
  }`);
  }
  const catalog = path.join(root, 'catalog.yaml');
  await fs.writeFile(catalog, `${docs.join('\n---\n')}\n`);
  return catalog;
}

/** The owners change a consumer's code: a commit on main, in the clone and the bare repository. */
export async function commitCode(consumer, file, content, message) {
  await git(consumer.clone, 'fetch', '--quiet', 'origin');
  await git(consumer.clone, 'reset', '--quiet', '--hard', 'origin/main');
  await fs.writeFile(path.join(consumer.clone, file), content);
  await git(consumer.clone, 'commit', '--quiet', '-am', message);
  await git(consumer.clone, 'push', '--quiet', 'origin', 'main');
}

export async function readCode(consumer, file) {
  return fs.readFile(path.join(consumer.clone, file), 'utf8');
}

/** The owners merge a delivered branch into main (a merge commit), as in the rollout test. */
export async function mergeBranch(consumer, branch) {
  await git(consumer.clone, 'fetch', '--quiet', 'origin');
  await git(consumer.clone, 'checkout', '--quiet', '-B', 'main', 'origin/main');
  await git(
    consumer.clone,
    'merge',
    '--quiet',
    '--no-ff',
    '-m',
    `Merge ${branch}`,
    `origin/${branch}`,
  );
  await git(consumer.clone, 'push', '--quiet', 'origin', 'main');
}

/**
 * Every commit any `ripple/*` branch of the bare repository ever pointed at,
 * with its branch and the patch id of its `Ripple-Patch:` trailer: from the
 * post-receive hook's log (every push, deletions included), the reflogs,
 * and the refs as they are (a push killed between its ref update and its
 * hook is in the last two only).
 */
export async function pushedCommits(consumer) {
  const seen = new Map(); // `${branch} ${sha}` -> {branch, sha}
  const add = (branch, sha) => {
    if (!sha || /^0+$/.test(sha) || !branch.startsWith('ripple/')) return;
    seen.set(`${branch} ${sha}`, { branch, sha });
  };
  for (const line of (
    await readOr(path.join(consumer.bare, 'ripple-pushes.log'))
  ).split('\n')) {
    const [, sha, ref] = line.split(' ');
    if (ref) add(ref.replace(/^refs\/heads\//, ''), sha);
  }
  const live = (
    await git(
      consumer.bare,
      'for-each-ref',
      '--format=%(refname) %(objectname)',
      'refs/heads/ripple',
    )
  )
    .split('\n')
    .filter(Boolean)
    .map(l => l.split(' '));
  const logs = path.join(consumer.bare, 'logs');
  for (const file of await listFiles(
    path.join(logs, 'refs', 'heads', 'ripple'),
  )) {
    const branch = path.relative(path.join(logs, 'refs', 'heads'), file);
    for (const line of (await readOr(file)).split('\n'))
      add(branch, line.split(' ')[1]);
  }
  for (const [ref, sha] of live) add(ref.replace(/^refs\/heads\//, ''), sha);
  const commits = [];
  for (const { branch, sha } of seen.values()) {
    const message = await git(consumer.bare, 'log', '-1', '--format=%B', sha);
    commits.push({
      branch,
      sha,
      patch: /^Ripple-Patch:\s*(\S+)/m.exec(message)?.[1],
    });
  }
  return {
    branches: [...new Set(commits.map(c => c.branch))],
    live: live.map(([ref]) => ref.replace(/^refs\/heads\//, '')),
    commits,
  };
}

async function readOr(file) {
  try {
    return await fs.readFile(file, 'utf8');
  } catch {
    return '';
  }
}

async function listFiles(dir) {
  let entries;
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const files = [];
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) files.push(...(await listFiles(p)));
    else files.push(p);
  }
  return files;
}
