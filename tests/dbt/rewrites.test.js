'use strict';

// dbt projects rewritten by `ripple rewrite --project`, built by real dbt on
// DuckDB before and after (issue 18, "Tests (real parts)").
//
// For each project in projects/ and each change of changes.js:
//  1. a fresh copy of the project (no target/) gets the producer's own change
//     (its SQL or seed header, and its own property file entry);
//  2. `ripple rewrite --project DIR --change SPEC --report R --write DIR`
//     rewrites the consumers, with no schema given: Ripple must find what it
//     needs in the project;
//  3. `dbt build` builds the copy into a DuckDB file of its own (and when it
//     skipped models after a failure, `dbt run` builds them anyway, without
//     the tests, so that each model is judged on its own rows);
//  4. every model and seed is read back with @duckdb/node-api and compared
//     with the original build's rows (multisets, same column names in the
//     same order), the changed dataset under its new names.
//
// Each consumer file (the ones changes.js lists, any file Ripple edited or
// flagged, any file whose dbt nodes fail or whose rows differ) ends as one of:
//  - rewritten: Ripple edited it, its nodes pass (or dbt build skipped them
//    after a failure elsewhere and dbt run built them) and its rows are the
//    same;
//  - for a person: Ripple said so (`needs_edit`), or warned that the change's
//    dataset matches nothing, with the reasons;
//  - wrong: anything else: its model or tests fail, its rows differ, it
//    defines fewer tests than before (dbt drops a test whose ref() names no
//    model), dbt cannot parse the project because of it, or Ripple left a
//    listed consumer as it was without a word (a silent miss);
//  - failed: Ripple exited with an error, or gave the file the status error;
//    nothing was proposed;
//  - unverified: not built, even by dbt run, because a file left for a
//    person broke what it depends on.
// A wrong or failed file fails the test. The counts per change and the share
// rewritten without a person are printed at the end.
//
// RIPPLE_DBT_ORDER=ripple-first runs Ripple before the producer's change
// (default: producer-first, as a producer's pull request would have it);
// RIPPLE_DBT_WITHOUT_PROJECT=1 leaves --project out (today's CLI);
// RIPPLE_DBT_SCHEMA=1 also gives `--schema`, every model's, seed's and
// source's columns as the original build left them in DuckDB (what a schema
// written by hand would say: the measure to compare --project with);
// RIPPLE_DBT_TARGET=1 leaves the original build's target/manifest.json and
// target/catalog.json (from `dbt docs generate`) in each copy, as a
// developer's checkout has them after a build (default: none, as a clone);
// RIPPLE_DBT_ONLY=TEXT runs the changes whose project or name contains TEXT;
// RIPPLE_DBT_JOBS=N runs N changes at once (default 2); RIPPLE_DBT_KEEP=1
// keeps each change's folder.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const {
  DBT,
  RIPPLE,
  copyProject,
  run,
  dbtBuild,
  dbtDocs,
  checkSemantics,
  readRows,
  readSchema,
} = require('./dbt');
const { projects } = require('./changes');

const PROJECTS = path.join(__dirname, 'projects');
const ORDER = process.env.RIPPLE_DBT_ORDER ?? 'producer-first';
const WITH_PROJECT = process.env.RIPPLE_DBT_WITHOUT_PROJECT !== '1';
const WITH_SCHEMA = process.env.RIPPLE_DBT_SCHEMA === '1';
const WITH_TARGET = process.env.RIPPLE_DBT_TARGET === '1';
const ONLY = process.env.RIPPLE_DBT_ONLY ?? '';
const JOBS = Number(process.env.RIPPLE_DBT_JOBS ?? 2);
const KEEP = process.env.RIPPLE_DBT_KEEP === '1';

assert.ok(
  ['producer-first', 'ripple-first'].includes(ORDER),
  `RIPPLE_DBT_ORDER must be producer-first or ripple-first, not ${ORDER}`,
);

/** At most `n` of the functions given run at once. */
function limiter(n) {
  let active = 0;
  const waiting = [];
  return async fn => {
    while (active >= n) await new Promise(resolve => waiting.push(resolve));
    active += 1;
    try {
      return await fn();
    } finally {
      active -= 1;
      waiting.shift()?.();
    }
  };
}

/** One slot per dbt build (with the Ripple run before it): the machine has 2 cores. */
const slot = limiter(JOBS);

/** Every outcome, for the table printed at the end. */
const outcomes = [];

/** What kind of consumer a file is, by where it lives in the project. */
function kindOf(file) {
  if (/\.ya?ml$/.test(file)) return 'properties';
  if (file.endsWith('.sql') && file.startsWith('models/')) return 'model';
  if (file.endsWith('.sql')) return 'sql';
  return 'other';
}

/**
 * The producer's own change, made by hand: files moved, then texts replaced.
 * `when` says when, for the message of a text not found (after Ripple ran, a
 * Ripple that edited the producer's own entry).
 */
function applyProducer(project, producer, when) {
  for (const move of producer.moves ?? []) {
    fs.renameSync(path.join(project, move.from), path.join(project, move.to));
  }
  for (const edit of producer.edits ?? []) {
    const file = path.join(project, edit.file);
    const text = fs.readFileSync(file, 'utf8');
    const start = edit.after ? text.indexOf(edit.after) : 0;
    assert.ok(
      start >= 0,
      `the producer's change ${when}: ${edit.file} has no ${JSON.stringify(
        edit.after,
      )}`,
    );
    const at = text.indexOf(edit.from, start);
    assert.ok(
      at >= 0,
      `the producer's change ${when}: ${edit.file} has no ${JSON.stringify(
        edit.from,
      )}`,
    );
    fs.writeFileSync(
      file,
      text.slice(0, at) + edit.to + text.slice(at + edit.from.length),
    );
  }
}

/** The producer's own files: they are the producer's change, not consumers. */
function producerFiles(producer) {
  return new Set([
    ...(producer.moves ?? []).map(m => m.to),
    ...(producer.edits ?? []).map(e => e.file),
  ]);
}

/** A path from the report, relative to the project. */
function relative(project, file) {
  return path
    .relative(project, path.resolve(project, file))
    .split(path.sep)
    .join('/');
}

/**
 * What Ripple warned about: every warning on stderr (`ripple: warning: ...`),
 * shown; and the report's `warnings`, that the change's dataset matches
 * nothing: only those tell a person that the files were left as they were.
 */
function warningsOf(stderr, report) {
  const lines = stderr
    .split('\n')
    .map(line => line.trim())
    .filter(line => /warn/i.test(line))
    .map(line => line.replace(/^ripple: warning: /, ''));
  const unmatched = (
    Array.isArray(report?.warnings) ? report.warnings : []
  ).map(w => (typeof w === 'string' ? w : w.message ?? JSON.stringify(w)));
  return { warnings: [...new Set([...lines, ...unmatched])], unmatched };
}

/**
 * Runs `ripple rewrite` on the copy. Returns its exit status and output, the
 * report's files by path (relative to the project), and its warnings.
 */
async function rewrite(copy, spec, schema) {
  const change = path.join(copy.dir, 'change.json');
  const schemaFile = path.join(copy.dir, 'schema.json');
  if (schema) fs.writeFileSync(schemaFile, JSON.stringify(schema, null, 2));
  const reportFile = path.join(copy.dir, 'report.json');
  fs.writeFileSync(change, JSON.stringify(spec, null, 2));
  const args = [
    'rewrite',
    ...(WITH_PROJECT ? ['--project', '.'] : []),
    ...(schema ? ['--schema', schemaFile] : []),
    '--change',
    change,
    '--report',
    reportFile,
    '--write',
    '.',
  ];
  const result = await run(RIPPLE, args, { cwd: copy.project });
  const report = fs.existsSync(reportFile)
    ? JSON.parse(fs.readFileSync(reportFile, 'utf8'))
    : null;
  const files = new Map();
  for (const file of report?.files ?? [])
    files.set(relative(copy.project, file.path), file);
  return {
    ...result,
    command: `ripple ${args.join(' ')}`,
    report,
    files,
    ...warningsOf(result.stderr, report),
  };
}

/** A finding as a person reads it: `kind at line L: message`. */
function reason(finding) {
  if (typeof finding === 'string') return finding;
  const place = finding.start ? ` at line ${finding.start.line}` : '';
  return `${finding.kind}${place}: ${finding.message}`;
}

/** The relation a model or seed of the original build has after the change, and its columns' names. */
function expectedAfter(name, original, spec) {
  const last = spec.dataset.split('.').pop().toLowerCase();
  if (name.toLowerCase() !== last) return { name, columns: original.columns };
  let after = name;
  const renames = new Map();
  for (const change of spec.changes) {
    if (change.kind === 'rename_table') after = change.to.split('.').pop();
    if (change.kind === 'rename_column')
      renames.set(change.column.toLowerCase(), change.to);
  }
  return {
    name: after,
    columns: original.columns.map(c => renames.get(c.toLowerCase()) ?? c),
  };
}

/** The rows that differ from the original build, by model or seed file; and relations gone. */
function rowDifferences(originals, build, tables, spec) {
  const byFile = new Map();
  const add = (file, detail) =>
    byFile.set(file, [...(byFile.get(file) ?? []), detail]);
  const files = new Map(
    build.relations.map(r => [r.name.toLowerCase(), r.file]),
  );
  for (const [name, original] of Object.entries(originals.tables)) {
    const expected = expectedAfter(name, original, spec);
    const file =
      files.get(expected.name.toLowerCase()) ?? originals.files.get(name);
    const now = tables[expected.name];
    if (!now) add(file, `${expected.name} was not built`);
    else if (now.error)
      add(file, `${expected.name} cannot be read: ${now.error}`);
    else if (JSON.stringify(now.columns) !== JSON.stringify(expected.columns)) {
      add(
        file,
        `${expected.name}'s columns are ${now.columns.join(
          ', ',
        )}, not ${expected.columns.join(', ')}`,
      );
    } else if (JSON.stringify(now.rows) !== JSON.stringify(original.rows)) {
      const lost = original.rows.filter(r => !now.rows.includes(r)).slice(0, 2);
      const gained = now.rows
        .filter(r => !original.rows.includes(r))
        .slice(0, 2);
      add(
        file,
        `${expected.name}'s rows differ (${original.rows.length} before, ${
          now.rows.length
        } after; lost ${lost.join(' ')}; new ${gained.join(' ')})`,
      );
    }
  }
  return byFile;
}

/** How many tests and unit tests each file defines, from a build's results. */
function testCounts(results) {
  const counts = new Map();
  for (const r of results) {
    if (r.file && (r.type === 'test' || r.type === 'unit_test')) {
      counts.set(r.file, (counts.get(r.file) ?? 0) + 1);
    }
  }
  return counts;
}

/**
 * Files that define fewer tests than in the original build. dbt drops a
 * generic test whose `ref()` names no model, with only a warning, and the
 * build passes without it.
 */
function droppedTests(originals, build) {
  const now = testCounts(build.results ?? []);
  const dropped = new Map();
  if (!build.results) return dropped;
  for (const [file, before] of originals.tests) {
    const after = now.get(file) ?? 0;
    if (after < before) {
      dropped.set(
        file,
        `${
          before - after
        } of its ${before} tests are gone from the build (dbt drops a test whose ref() names no model)`,
      );
    }
  }
  return dropped;
}

/** How a file Ripple did not edit is described when it breaks. */
function miss(status) {
  return status === 'rewritten'
    ? ''
    : `a silent miss: Ripple left it as it was (${status}); `;
}

/** The first lines of dbt's error, for the report. */
function dbtError(output) {
  const lines = output
    .split('\n')
    .map(l => l.replace(/^\S*\d\d:\d\d:\d\d\s+/, '').trim());
  const start = lines.findIndex(l => /error/i.test(l) && !/ERROR=0/.test(l));
  return (start >= 0 ? lines.slice(start, start + 4) : lines.slice(-4))
    .filter(Boolean)
    .join(' ')
    .slice(0, 400);
}

/**
 * Every consumer file's outcome for one change: `{file, kind, outcome, detail}`.
 * `harness` lists what says the test itself is wrong (a consumer written down
 * that builds unchanged).
 */
function judge({
  change,
  ripple,
  build,
  rerun,
  differences,
  dropped,
  semantic,
  producer,
}) {
  // Built by the `dbt run` after a build that skipped some models.
  const rebuilt = file => {
    const nodes = (rerun?.results ?? []).filter(r => r.file === file);
    return nodes.length > 0 && nodes.every(r => r.status === 'success');
  };
  const declared = new Set(change.consumers);
  const touched = [...ripple.files.entries()]
    .filter(([, f]) => ['rewritten', 'needs_edit', 'error'].includes(f.status))
    .map(([p]) => p);
  const failing = (build.results ?? [])
    .filter(r => r.file && ['error', 'fail'].includes(r.status))
    .map(r => r.file);
  const files = [
    ...new Set([
      ...declared,
      ...touched,
      ...failing,
      ...differences.keys(),
      ...dropped.keys(),
      ...semantic.keys(),
    ]),
  ].sort();
  // Left for a person: needs_edit, or left as it was with the warning that
  // the dataset matches nothing.
  const person = new Set(
    files.filter(
      f =>
        ripple.files.get(f)?.status === 'needs_edit' ||
        (declared.has(f) &&
          ripple.files.get(f)?.status !== 'rewritten' &&
          ripple.unmatched.length),
    ),
  );
  // What a file left for a person feeds: its models' children, tests and
  // unit tests, through the whole graph. A failure there is the person's to
  // fix first, not a wrong of the file it shows in.
  const below = new Map();
  if (build.graph) {
    const queue = Object.keys(build.graph.files)
      .filter(id => person.has(build.graph.files[id]))
      .map(id => [id, build.graph.files[id]]);
    while (queue.length) {
      const [id, from] = queue.shift();
      for (const child of build.graph.children[id] ?? []) {
        const file = build.graph.files[child];
        if (!file || below.has(child) || file === from) continue;
        below.set(child, from);
        queue.push([child, from]);
      }
    }
  }
  const blockedBy = nodes =>
    nodes.length && nodes.every(r => below.has(r.id))
      ? [...new Set(nodes.map(r => below.get(r.id)))]
      : null;
  const outcomes = [];
  const harness = [];
  for (const file of files) {
    const entry = ripple.files.get(file);
    const status = entry?.status ?? 'not in the report';
    const row = {
      file,
      kind: kindOf(file),
      declared: declared.has(file),
      producer: producer.has(file) && !declared.has(file),
      status,
    };
    const nodes = (build.results ?? []).filter(r => r.file === file);
    const broken = nodes.filter(r => ['error', 'fail'].includes(r.status));
    const skipped = nodes.filter(r => r.status === 'skipped');
    // A consumer changes.js lists that Ripple left as it was, saying nothing.
    const silent = declared.has(file) && status !== 'rewritten';
    if (ripple.code !== 0) {
      outcomes.push({
        ...row,
        outcome: 'failed',
        detail: `ripple exited with ${ripple.code}: ${
          ripple.stderr.trim().split('\n')[0]
        }`,
      });
    } else if (status === 'error') {
      outcomes.push({
        ...row,
        outcome: 'failed',
        detail: `status error: ${(entry.findings ?? entry.reasons ?? [])
          .map(reason)
          .join('; ')}`,
      });
    } else if (status === 'needs_edit') {
      outcomes.push({
        ...row,
        outcome: 'person',
        detail: (entry.findings ?? entry.reasons ?? []).map(reason).join('; '),
      });
    } else if (
      status !== 'rewritten' &&
      declared.has(file) &&
      ripple.unmatched.length
    ) {
      outcomes.push({
        ...row,
        outcome: 'person',
        detail: `left as it was, with a warning: ${ripple.unmatched.join(
          ' | ',
        )}`,
      });
    } else if (!build.results) {
      // dbt could not parse the project: the file it names is at fault.
      const named = files.find(f => build.output.includes(f));
      const blamed = named === file || (!named && !person.size);
      outcomes.push({
        ...row,
        outcome: blamed || silent ? 'wrong' : 'unverified',
        detail: `${silent ? miss(status) : ''}${
          blamed || silent ? '' : 'not built: '
        }dbt could not parse the project: ${dbtError(build.output)}`,
      });
    } else if (
      !silent &&
      (broken.length || differences.has(file)) &&
      blockedBy([
        ...broken,
        ...(differences.has(file) ? nodes.filter(r => r.type === 'model') : []),
      ])
    ) {
      // It fails, or its rows differ, below a file left for a person.
      const by = blockedBy([
        ...broken,
        ...(differences.has(file) ? nodes.filter(r => r.type === 'model') : []),
      ]);
      outcomes.push({
        ...row,
        outcome: 'unverified',
        detail: `fails below ${by.join(', ')}, left for a person: ${[
          ...broken.map(
            r =>
              `${r.type} ${r.id.split('.').pop()} ${r.status}: ${r.message
                .replace(/\s+/g, ' ')
                .slice(0, 200)}`,
          ),
          ...(differences.get(file) ?? []),
        ].join('; ')}`,
      });
    } else if (broken.length || semantic.has(file)) {
      const details = [
        ...broken.map(
          r =>
            `${r.type} ${r.id.split('.').pop()} ${r.status}: ${r.message
              .replace(/\s+/g, ' ')
              .slice(0, 300)}`,
        ),
        ...(semantic.get(file) ?? []),
      ];
      outcomes.push({
        ...row,
        outcome: 'wrong',
        detail: miss(status) + details.join('; '),
      });
    } else if (dropped.has(file)) {
      outcomes.push({
        ...row,
        outcome: 'wrong',
        detail: miss(status) + dropped.get(file),
      });
    } else if (
      skipped.length &&
      !silent &&
      status === 'rewritten' &&
      rebuilt(file)
    ) {
      // dbt build skipped it after a failure upstream (counted there); dbt
      // run built it anyway, so its rows were compared.
      outcomes.push({
        ...row,
        outcome: differences.has(file) ? 'wrong' : 'rewritten',
        detail: [
          'dbt build skipped it after a failure upstream; dbt run built it',
          ...(differences.get(file) ?? []),
        ].join('; '),
      });
    } else if (skipped.length) {
      // Not built: what it depends on failed (counted there).
      outcomes.push({
        ...row,
        outcome: silent ? 'wrong' : 'unverified',
        detail: `${
          silent ? miss(status) : ''
        }skipped after a failure upstream: ${skipped
          .map(r => r.id.split('.').pop())
          .join(', ')}`,
      });
    } else if (differences.has(file)) {
      outcomes.push({
        ...row,
        outcome: 'wrong',
        detail: miss(status) + differences.get(file).join('; '),
      });
    } else if (status === 'rewritten') {
      outcomes.push({
        ...row,
        outcome: 'rewritten',
        detail: declared.has(file)
          ? ''
          : 'rewritten though not listed in changes.js',
      });
    } else {
      // Listed as a consumer, left as it was, and it still builds the same.
      harness.push(
        `${file} is listed as a consumer of "${change.name}" but builds the same unchanged: fix changes.js`,
      );
    }
  }
  // A file only downstream of a failure, which nobody changed or listed, is
  // no consumer of the change: it was just not built.
  const consumers = outcomes.filter(
    o => o.outcome !== 'unverified' || o.declared || touched.includes(o.file),
  );
  return { outcomes: consumers, harness };
}

/** The original build of a project: every node passes; its rows, by relation name. */
async function buildOriginal(project) {
  const copy = copyProject(path.join(PROJECTS, project), `${project}-original`);
  try {
    const build = await dbtBuild(copy);
    assert.ok(
      build.results,
      `the original ${project} does not parse: ${dbtError(build.output)}`,
    );
    const bad = build.results.filter(
      r => !['success', 'pass', 'no-op'].includes(r.status),
    );
    assert.deepEqual(
      bad.map(r => `${r.id}: ${r.status} ${r.message}`),
      [],
      `the original ${project} builds with every test passing`,
    );
    assert.equal(
      build.code,
      0,
      `dbt build of the original ${project}: ${dbtError(build.output)}`,
    );
    const tables = await readRows(copy.database, build.relations);
    const semantic = await checkSemantics(copy.database, build.semantics);
    assert.deepEqual(
      [...semantic.values()].flat(),
      [],
      `the original ${project}'s semantic models read their models`,
    );
    for (const [name, table] of Object.entries(tables)) {
      assert.ok(!table.error, `${name}: ${table.error}`);
      assert.ok(table.rows.length > 0, `${project}'s ${name} has rows`);
    }
    const schema = WITH_SCHEMA
      ? await readSchema(copy.database, [...build.relations, ...build.sources])
      : null;
    let target = null;
    if (WITH_TARGET) {
      const docs = await dbtDocs(copy);
      assert.equal(docs.code, 0, `dbt docs generate: ${dbtError(docs.output)}`);
      target = Object.fromEntries(
        ['manifest.json', 'catalog.json'].map(name => [
          name,
          fs.readFileSync(path.join(copy.project, 'target', name), 'utf8'),
        ]),
      );
    }
    return {
      tables,
      schema,
      target,
      files: new Map(build.relations.map(r => [r.name, r.file])),
      tests: testCounts(build.results),
    };
  } finally {
    if (!KEEP) fs.rmSync(copy.dir, { recursive: true, force: true });
  }
}

async function checkChange(project, originals, change) {
  const copy = copyProject(
    path.join(PROJECTS, project),
    `${project}-${change.name}`,
  );
  const started = Date.now();
  try {
    if (originals.target) {
      fs.mkdirSync(path.join(copy.project, 'target'));
      for (const [name, text] of Object.entries(originals.target)) {
        fs.writeFileSync(path.join(copy.project, 'target', name), text);
      }
    }
    let ripple;
    if (ORDER === 'ripple-first') {
      ripple = await rewrite(copy, change.spec, originals.schema);
      applyProducer(copy.project, change.producer, 'after Ripple ran');
    } else {
      applyProducer(copy.project, change.producer, 'before Ripple ran');
      ripple = await rewrite(copy, change.spec, originals.schema);
    }
    // Nothing was proposed when Ripple failed: building would only show the change unmade.
    const build =
      ripple.code === 0
        ? await dbtBuild(copy)
        : { code: null, output: '', results: [], relations: [] };
    // dbt build skips a model after a failure upstream, a test's failure
    // too: dbt run then builds every model it can, without the tests, so
    // that a rewritten model below a wrong property file is still compared.
    const rerun =
      ripple.code === 0 &&
      build.results?.some(r => r.status === 'skipped' && r.type === 'model')
        ? await dbtBuild(copy, 'run')
        : null;
    const built = rerun?.results ? rerun : build;
    const tables =
      ripple.code === 0 && built.results
        ? await readRows(copy.database, built.relations)
        : {};
    const differences =
      ripple.code === 0 && built.results
        ? rowDifferences(originals, built, tables, change.spec)
        : new Map();
    const semantic =
      ripple.code === 0 && built.results
        ? await checkSemantics(copy.database, built.semantics)
        : new Map();
    const judged = judge({
      semantic,
      dropped: ripple.code === 0 ? droppedTests(originals, build) : new Map(),
      change,
      ripple,
      build,
      rerun,
      differences,
      producer: producerFiles(change.producer),
    });
    return {
      ...judged,
      ripple,
      build,
      dir: copy.dir,
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    if (!KEEP) fs.rmSync(copy.dir, { recursive: true, force: true });
  }
}

// Every project and change at once; `slot` keeps JOBS dbt builds running.
describe('dbt projects', { concurrency: true }, () => {
  for (const { project, changes } of projects) {
    const chosen = changes.filter(
      c => !ONLY || `${project} ${c.name}`.includes(ONLY),
    );
    if (!chosen.length) continue;
    describe(`dbt project ${project}`, { concurrency: true }, () => {
      let originals;
      before(async () => {
        assert.ok(fs.existsSync(DBT), `no dbt at ${DBT}: run scripts/setup.sh`);
        assert.ok(
          fs.existsSync(RIPPLE),
          `no ripple CLI at ${RIPPLE}: cargo build -p ripple-cli`,
        );
        originals = await slot(() => buildOriginal(project));
      });
      for (const change of chosen) {
        it(change.name, async t => {
          const result = await slot(() =>
            checkChange(project, originals, change),
          );
          outcomes.push({ project, change: change.name, ...result });
          t.diagnostic(
            `${result.seconds.toFixed(1)} s; ${result.ripple.command}`,
          );
          for (const o of result.outcomes)
            t.diagnostic(
              `${o.outcome}: ${o.file} (${o.status})${
                o.detail ? ` · ${o.detail}` : ''
              }`,
            );
          for (const w of result.ripple.warnings)
            t.diagnostic(`ripple warned: ${w}`);
          if (KEEP) t.diagnostic(`kept in ${result.dir}`);
          assert.deepEqual(
            result.harness,
            [],
            'the consumers changes.js lists',
          );
          const bad = result.outcomes.filter(
            o => o.outcome === 'wrong' || o.outcome === 'failed',
          );
          assert.deepEqual(
            bad.map(o => `${o.outcome}: ${o.file} · ${o.detail}`),
            [],
            'every consumer rewritten or left for a person',
          );
        });
      }
    });
  }
});

after(() => {
  if (!outcomes.length) return;
  const order = new Map(
    projects.flatMap(p =>
      p.changes.map((c, i) => [`${p.project}\u0000${c.name}`, i]),
    ),
  );
  outcomes.sort(
    (a, b) =>
      a.project.localeCompare(b.project) ||
      order.get(`${a.project}\u0000${a.change}`) -
        order.get(`${b.project}\u0000${b.change}`),
  );
  const count = (list, outcome, kind) =>
    list.filter(o => o.outcome === outcome && (!kind || o.kind === kind))
      .length;
  const header = [
    'project',
    'change',
    'affected (models)',
    'rewritten, same rows',
    'for a person',
    'wrong',
    'failed',
    'unverified',
  ];
  const rows = outcomes.map(o => {
    const all = o.outcomes;
    const models = all.filter(x => x.kind === 'model').length;
    return [
      o.project,
      o.change,
      `${all.length} (${models})`,
      count(all, 'rewritten'),
      count(all, 'person'),
      count(all, 'wrong'),
      count(all, 'failed'),
      count(all, 'unverified'),
    ];
  });
  const all = outcomes.flatMap(o => o.outcomes);
  rows.push([
    'all',
    `${outcomes.length} changes`,
    `${all.length} (${all.filter(x => x.kind === 'model').length})`,
    count(all, 'rewritten'),
    count(all, 'person'),
    count(all, 'wrong'),
    count(all, 'failed'),
    count(all, 'unverified'),
  ]);
  const widths = header.map((h, i) =>
    Math.max(h.length, ...rows.map(r => String(r[i]).length)),
  );
  const line = r => r.map((v, i) => String(v).padEnd(widths[i])).join(' | ');
  const share = (kind, label) => {
    const mine = all.filter(x => !kind || x.kind === kind);
    const done = count(mine, 'rewritten');
    const pct = mine.length ? ((100 * done) / mine.length).toFixed(1) : '-';
    return `${label}: ${done} of ${
      mine.length
    } rewritten without a person (${pct}%), ${count(
      mine,
      'wrong',
    )} wrong, ${count(mine, 'failed')} failed`;
  };
  const mode = [
    WITH_PROJECT ? '--project' : 'without --project',
    WITH_SCHEMA ? 'a schema from the original build' : 'no schema',
    WITH_TARGET ? "the original build's manifest and catalog" : 'no target/',
    ORDER,
  ].join(', ');
  console.log(
    [
      '',
      `dbt projects rewritten by ripple and built by dbt (${mode})`,
      line(header),
      widths.map(w => '-'.repeat(w)).join('-|-'),
      ...rows.map(line),
      '',
      share('model', 'affected models'),
      share('properties', 'affected property files'),
      share('sql', 'affected singular tests'),
      share(null, 'all affected files'),
      '',
    ].join('\n'),
  );
});
