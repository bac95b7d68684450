'use strict';

// The real parts the dbt test drives: a copy of a project in a folder of its
// own, dbt (from the virtualenv scripts/setup.sh installs) building it into a
// DuckDB file there, the rows of every model and seed read back from that
// file with @duckdb/node-api, and the `ripple` CLI.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');

const ROOT = path.resolve(__dirname, '../..');

/** dbt, from the virtualenv scripts/setup.sh installs (RIPPLE_DBT overrides it). */
const DBT = process.env.RIPPLE_DBT ?? path.join(ROOT, '.tools/dbt/bin/dbt');

/** The CLI tests/dbt/run.sh builds (RIPPLE_CLI overrides it). */
const RIPPLE =
  process.env.RIPPLE_CLI ??
  path.join(
    process.env.CARGO_TARGET_DIR ?? path.join(ROOT, 'target'),
    'debug/ripple',
  );

// The package is a dependency of the engine's; the yarn workspace hoists it.
const { DuckDBInstance } = require(require.resolve('@duckdb/node-api', {
  paths: [path.join(ROOT, 'packages/engine'), ROOT],
}));

/** Folders a checkout of a project does not have: what dbt writes. */
const BUILT = new Set(['target', 'logs', 'dbt_packages']);

/**
 * A fresh copy of the project `source` in a new temporary folder, as a clone
 * would have it (nothing dbt wrote), with a profile pointing at a DuckDB file
 * beside it. Returns the folders and files.
 */
function copyProject(source, label) {
  const dir = fs.mkdtempSync(
    path.join(
      os.tmpdir(),
      `ripple-dbt-${label.replace(/[^\w]+/g, '-').slice(0, 40)}-`,
    ),
  );
  const project = path.join(dir, 'project');
  fs.cpSync(source, project, {
    recursive: true,
    filter: from =>
      !BUILT.has(path.basename(from)) || path.dirname(from) !== source,
  });
  const database = path.join(dir, 'warehouse.duckdb');
  // The profile every project names (`profile: ripple`): DuckDB, in this folder.
  fs.writeFileSync(
    path.join(dir, 'profiles.yml'),
    [
      'ripple:',
      '  target: test',
      '  outputs:',
      '    test:',
      '      type: duckdb',
      `      path: ${JSON.stringify(database)}`,
      '      threads: 2',
      '',
    ].join('\n'),
  );
  return { dir, project, database };
}

/** Runs a command; resolves with its exit code and output (never rejects on a non-zero exit). */
function run(command, args, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      ...options,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', chunk => (stdout += chunk));
    child.stderr.on('data', chunk => (stderr += chunk));
    child.on('error', reject);
    child.on('close', code => resolve({ code, stdout, stderr }));
  });
}

/** The environment dbt runs in: no usage statistics, nothing else from the network. */
function dbtEnv() {
  return {
    ...process.env,
    DBT_SEND_ANONYMOUS_USAGE_STATS: 'false',
    DO_NOT_TRACK: '1',
    // No colours in the output the test keeps.
    DBT_USE_COLORS: 'false',
    // Partial parsing stays on: a copy starts with no target/, so its first
    // command parses it all, and the `dbt run` after a build reuses that
    // parse (nothing changed between them).
    DBT_PARTIAL_PARSE: 'true',
  };
}

/**
 * `dbt build` of the copy: returns the exit code, dbt's output, and the
 * results of every node (from target/run_results.json, with each node's file
 * from target/manifest.json). `results` is null when dbt stopped before
 * running anything (a project it could not parse).
 */
async function dbtBuild(copy, command = 'build') {
  for (const stale of ['run_results.json', 'manifest.json'])
    fs.rmSync(path.join(copy.project, 'target', stale), { force: true });
  const { code, stdout, stderr } = await run(
    DBT,
    [command, '--profiles-dir', copy.dir, '--threads', '2'],
    {
      cwd: copy.project,
      env: dbtEnv(),
    },
  );
  const output = stdout + stderr;
  const target = path.join(copy.project, 'target');
  const read = name =>
    fs.existsSync(path.join(target, name))
      ? JSON.parse(fs.readFileSync(path.join(target, name), 'utf8'))
      : null;
  const runResults = read('run_results.json');
  const manifest = read('manifest.json');
  if (!runResults || !manifest)
    return { code, output, results: null, relations: null, graph: null };
  const nodes = { ...manifest.nodes, ...(manifest.unit_tests ?? {}) };
  const results = runResults.results.map(r => ({
    id: r.unique_id,
    status: r.status,
    message: r.message ?? '',
    file: nodes[r.unique_id]?.original_file_path ?? null,
    type: nodes[r.unique_id]?.resource_type ?? r.unique_id.split('.')[0],
  }));
  // Every model and seed dbt built, by name, with its relation and file.
  const relations = Object.values(manifest.nodes)
    .filter(
      n =>
        (n.resource_type === 'model' || n.resource_type === 'seed') &&
        n.config?.materialized !== 'ephemeral',
    )
    .map(n => ({
      name: n.name,
      relation: n.relation_name,
      file: n.original_file_path,
      type: n.resource_type,
    }));
  // The sources, as dbt's Jinja names them (`ecom.raw_orders`), with their relations.
  const sources = Object.values(manifest.sources ?? {}).map(n => ({
    name: `${n.source_name}.${n.name}`,
    relation: n.relation_name,
  }));
  // What each semantic model reads of its model: every entity's,
  // dimension's and measure's expression (its name when it has none).
  const semantic = read('semantic_manifest.json');
  const semantics = (semantic?.semantic_models ?? []).map(m => ({
    name: m.name,
    relation: m.node_relation?.relation_name,
    file:
      Object.values(manifest.semantic_models ?? {}).find(n => n.name === m.name)
        ?.original_file_path ?? null,
    reads: ['entities', 'dimensions', 'measures'].flatMap(kind =>
      (m[kind] ?? []).map(e => ({
        what: `${kind.slice(0, -1).replace(/ie$/, 'y')} ${e.name}`,
        expr: e.expr ?? e.name,
      })),
    ),
  }));
  // What depends on what: each node's file, and its children.
  const graph = {
    files: Object.fromEntries(
      Object.entries({
        ...manifest.nodes,
        ...(manifest.unit_tests ?? {}),
        ...(manifest.sources ?? {}),
      }).map(([id, n]) => [id, n.original_file_path]),
    ),
    children: manifest.child_map ?? {},
  };
  return { code, output, results, relations, sources, semantics, graph };
}

/** A value as compared: doubles to 12 significant digits (a sum's last bits follow its order). */
function normal(value) {
  if (typeof value === 'number' && !Number.isInteger(value))
    return Number(value.toPrecision(12));
  if (Array.isArray(value)) return value.map(normal);
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, normal(v)]),
    );
  return value;
}

/**
 * The rows of every relation in the DuckDB file, by name: `{columns, rows}`,
 * rows as JSON texts, sorted (a multiset). Relations that cannot be read are
 * `{error}`.
 */
async function readRows(database, relations) {
  const instance = await DuckDBInstance.create(database, {
    access_mode: 'READ_ONLY',
    threads: '1',
  });
  const connection = await instance.connect();
  const tables = {};
  try {
    for (const { name, relation } of relations) {
      try {
        const reader = await connection.runAndReadAll(
          `select * from ${relation}`,
        );
        const rows = reader
          .getRowsJson()
          .map(row => JSON.stringify(normal(row)))
          .sort();
        tables[name] = { columns: reader.columnNames(), rows };
      } catch (error) {
        tables[name] = { error: error.message.split('\n')[0] };
      }
    }
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
  return tables;
}

/**
 * `dbt docs generate` of a built copy: writes target/catalog.json (the
 * warehouse's columns) beside target/manifest.json. Returns its exit code and
 * output.
 */
async function dbtDocs(copy) {
  const { code, stdout, stderr } = await run(
    DBT,
    ['docs', 'generate', '--profiles-dir', copy.dir],
    { cwd: copy.project, env: dbtEnv() },
  );
  return { code, output: stdout + stderr };
}

/**
 * The semantic models whose expressions do not read as SQL on their model's
 * relation in the DuckDB file, by file: what MetricFlow would fail on at
 * query time (dbt itself builds with a dimension naming a column its model
 * no longer has). A relation that is not there is not checked (its model's
 * own failure says why).
 */
async function checkSemantics(database, semantics) {
  const problems = new Map();
  if (!semantics.length) return problems;
  const instance = await DuckDBInstance.create(database, {
    access_mode: 'READ_ONLY',
    threads: '1',
  });
  const connection = await instance.connect();
  try {
    for (const model of semantics) {
      try {
        await connection.run(`select 1 from ${model.relation} limit 0`);
      } catch {
        continue;
      }
      for (const { what, expr } of model.reads) {
        try {
          await connection.run(`select ${expr} from ${model.relation} limit 0`);
        } catch (error) {
          const list = problems.get(model.file) ?? [];
          list.push(
            `semantic model ${model.name}'s ${what} (${expr}): ${
              error.message.split('\n')[0]
            }`,
          );
          problems.set(model.file, list);
        }
      }
    }
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
  return problems;
}

/**
 * A schema in `ripple analyze --schema`'s format for the given relations
 * (`{name, relation}`), read from the DuckDB file: each keyed by its name,
 * with its columns' names and types.
 */
async function readSchema(database, relations) {
  const instance = await DuckDBInstance.create(database, {
    access_mode: 'READ_ONLY',
    threads: '1',
  });
  const connection = await instance.connect();
  const tables = {};
  try {
    for (const { name, relation } of relations) {
      const reader = await connection.runAndReadAll(`describe ${relation}`);
      tables[name] = {
        columns: reader
          .getRowObjectsJson()
          .map(c => ({ name: c.column_name, type: c.column_type })),
      };
    }
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
  return { tables };
}

module.exports = {
  ROOT,
  DBT,
  RIPPLE,
  copyProject,
  run,
  dbtBuild,
  dbtDocs,
  checkSemantics,
  readRows,
  readSchema,
};
