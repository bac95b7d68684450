// The crash test's fleet: one dataset and its consumers, each in a git
// repository of its own (a bare repository the backend delivers branches to,
// and a clone its owners work in, whose files the agent reads), and the
// catalog file that declares them. Every choice is drawn from the seeded
// random generator, so a seed replays the same fleet.
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

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

export const DATASET_REF = 'resource:default/crash-orders';
export const TABLE = 'proj.ds.orders';
export const CHANGE = {
  dataset: TABLE,
  dialect: 'bigquery',
  changes: [{ kind: 'rename_column', column: 'amount', to: 'amount_usd' }],
};
export const FILE = 'models/revenue.sql';

// A patch the engine makes and verifies alone (`rewritten`).
const READS = 'SELECT o.id, o.amount\nFROM proj.ds.orders AS o\n';
// A USING join on the renamed column, in a second file: the engine edits
// the first file and asks a person about this one (`needs_review`). (In the
// same file it would propose no edit at all: an empty patch.)
const NEEDS_REVIEW_FILE = 'models/refunds.sql';
const NEEDS_REVIEW =
  'SELECT *\nFROM proj.ds.orders\nJOIN proj.ds.refunds USING (amount)\n';
// The late consumer's code before it starts reading the dataset.
const UNRELATED = 'SELECT 1 AS id\n';
// What the owners of `edited` add after the rollout started: a new version
// of its patch, proposed by the agent's refresh.
export const EDIT =
  '\n;\nSELECT o.customer, o.amount AS spent\nFROM proj.ds.orders AS o\n';

/**
 * Roles, each consumer one (besides `merge` and `declared`, drawn apart):
 * - `reject`: a person rejects its patch; it is never delivered;
 * - `approve`: a person approves it before the start;
 * - `needsReview`: its patch needs a person, who approves it during the rollout;
 * - `edited`: its owners change its code after the start (a second patch
 *   version), and it is critical, so it goes last;
 * - `late`: reads the dataset only after the start, found by the refresh;
 * - `auto`: approved by the plan's auto-approval.
 */
export function drawFleet(rng, count) {
  if (count < 7)
    throw new Error(`--consumers must be at least 7 (got ${count})`);
  const names = Array.from(
    { length: count },
    (_, i) => `c${String(i + 1).padStart(2, '0')}`,
  );
  const shuffled = rng.shuffle(names);
  const roles = {};
  const special = [
    'reject',
    'approve',
    'approve',
    'needsReview',
    'edited',
    'late',
  ];
  shuffled.forEach((name, i) => (roles[name] = special[i] ?? 'auto'));
  const lifecycles = ['experimental', 'development', 'production'];
  return names.map(name => ({
    name,
    ref: `component:default/${name}`,
    role: roles[name],
    // Owners merge about half of the delivered branches.
    merge: rng.next() < 0.5,
    // Half declare `dependsOn` the dataset; the others are found in their code
    // (the late one cannot declare it: it does not read the dataset yet).
    declared: roles[name] !== 'late' && rng.next() < 0.5,
    lifecycle: rng.pick(lifecycles),
  }));
}

export async function createFleet(root, consumers) {
  await fs.mkdir(path.join(root, 'repos'), { recursive: true });
  const docs = [
    `apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: data-platform
spec:
  type: team
  children: []
  members: [guest]`,
    `apiVersion: backstage.io/v1alpha1
kind: User
metadata:
  name: guest
spec:
  memberOf: [data-platform]`,
    `apiVersion: backstage.io/v1alpha1
kind: Resource
metadata:
  name: crash-orders
  annotations:
    ripple.io/table: ${TABLE}
    ripple.io/dialect: bigquery
    ripple.io/schema: '{id: INT64, amount: NUMERIC, customer: STRING}'
spec:
  type: dataset
  owner: group:default/data-platform`,
  ];
  // One consumer reads another (a dependency of the plan's order).
  const upstream = consumers.find(c => c.role === 'auto');
  for (const consumer of consumers) {
    consumer.bare = path.join(root, 'repos', `${consumer.name}.git`);
    consumer.clone = path.join(root, 'repos', consumer.name);
    const code = consumer.role === 'late' ? UNRELATED : READS;
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
    await fs.mkdir(path.join(consumer.clone, path.dirname(FILE)), {
      recursive: true,
    });
    await fs.writeFile(path.join(consumer.clone, FILE), code);
    if (consumer.role === 'needsReview') {
      await fs.writeFile(
        path.join(consumer.clone, NEEDS_REVIEW_FILE),
        NEEDS_REVIEW,
      );
    }
    await git(consumer.clone, 'add', '.');
    await git(consumer.clone, 'commit', '--quiet', '-m', 'Initial code');
    await git(consumer.clone, 'push', '--quiet', 'origin', 'main');
    const dependsOn = [
      ...(consumer.declared ? [DATASET_REF] : []),
      ...(consumer !== upstream && consumer.role === 'auto' && upstream
        ? [upstream.ref]
        : []),
    ];
    docs.push(`apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: ${consumer.name}
  annotations:
    backstage.io/source-location: url:file://${consumer.clone}/
    ripple.io/delivery: git-branch
    ripple.io/git-repository: ${consumer.bare}${
      consumer.role === 'edited' ? '\n    ripple.io/criticality: critical' : ''
    }
spec:
  type: pipeline
  lifecycle: ${consumer.lifecycle}
  owner: group:default/data-platform${
    dependsOn.length
      ? `\n  dependsOn:\n${dependsOn.map(d => `    - ${d}`).join('\n')}`
      : ''
  }`);
  }
  const catalog = path.join(root, 'catalog.yaml');
  await fs.writeFile(catalog, `${docs.join('\n---\n')}\n`);
  return catalog;
}

/** The owners change a consumer's code: a commit on main, in the clone and the bare repository. */
export async function commitCode(consumer, content, message) {
  await git(consumer.clone, 'fetch', '--quiet', 'origin');
  await git(consumer.clone, 'reset', '--quiet', '--hard', 'origin/main');
  await fs.writeFile(path.join(consumer.clone, FILE), content);
  await git(consumer.clone, 'commit', '--quiet', '-am', message);
  await git(consumer.clone, 'push', '--quiet', 'origin', 'main');
}

export async function readCode(consumer) {
  return fs.readFile(path.join(consumer.clone, FILE), 'utf8');
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
