import type {
  ChangeSpec,
  Dialect,
  FileAnalysis,
  FileRewrite,
  RewriteOptions,
  RippleEngine,
  Schema,
} from '@ripple/engine';
import type {
  DatasetColumn,
  Impact,
  ImpactReason,
  ImpactFile,
  PatchReason,
  PatchStatus,
} from './schema/openapi/generated/models';
import { patchReason } from './reasons';

/**
 * What the engine makes of one consumer's code for a change: where the code
 * reads the dataset (the impact), and the verified edit of every file as one
 * diff, with the worst status and every reason. The backend's agent and the
 * browser's live preview both compute it here, so they cannot disagree.
 *
 * @public
 */
export type ConsumerProposal = {
  impact: Impact;
  diff: string;
  status: PatchStatus;
  reasons: PatchReason[];
  /** How many places the edit changes, over all files. */
  edits: number;
};

/**
 * A consumer's code as the engine reads it: its files, its own dialect (the
 * `ripple.io/dialect` annotation) and the other names it gives the dataset's
 * table (dbt sources that `sources.yml` maps to it).
 *
 * @public
 */
export type ConsumerSource = {
  files: ReadonlyArray<{ path: string; text: string }>;
  dialect?: Dialect;
  tableNames?: string[];
  /**
   * Its dbt property files, rewritten by the engine's `rewriteProperties`
   * where it has one (Node's build; the browser's has none, and leaves
   * them out).
   */
  properties?: ReadonlyArray<{ path: string; text: string }>;
  /**
   * The tables its own dbt project knows (the engine's `projectSchema`,
   * with the dataset's columns winning): a model reading an upstream model
   * through `select *` then has its columns. The dataset's columns are
   * added under the name the code reads it by.
   */
  schema?: Schema;
};

/**
 * Analyses kept between proposals for the same files: a file's analysis
 * depends on its text, the dialect and the dataset, not on the change's
 * edits, so a preview recomputed on every edit analyses each file once.
 *
 * @public
 */
export type AnalysisCache = WeakMap<
  object,
  { key: string; analysis: FileAnalysis; table: string; reads: boolean }
>;

// The worst status of the files is the patch's.
const SEVERITY: Record<PatchStatus, number> = {
  unaffected: 0,
  rewritten: 1,
  needs_edit: 2,
  error: 3,
};

/**
 * One file's rewrite that a proposal needs: the arguments of the engine's
 * `rewrite`.
 *
 * @public
 */
export type RewriteCall = {
  path: string;
  text: string;
  change: ChangeSpec;
  options: RewriteOptions;
};

/**
 * A proposal before its rewrites: the consumer's impact, known from the
 * analyses, and the rewrites still to run. Whoever runs them (on this
 * thread, or in engine workers) passes their results to
 * `completeConsumerEdit`.
 *
 * @public
 */
export type ConsumerEditPlan = {
  impact: Impact;
  rewrites: RewriteCall[];
  /** The property files to rewrite (`rewriteProperties`), after the code. */
  properties: PropertiesCall[];
};

/**
 * One property file's rewrite that a proposal needs: the arguments of the
 * engine's `rewriteProperties`.
 *
 * @public
 */
export type PropertiesCall = {
  path: string;
  text: string;
  change: ChangeSpec;
};

/**
 * Runs the engine over a consumer's files for a change, with the dataset's
 * columns (so that `SELECT *` expands), and over its dbt property files
 * when the engine has `rewriteProperties` (Node's build).
 *
 * @public
 */
export function proposeConsumerEdit(
  engine: Pick<RippleEngine, 'analyze' | 'rewrite' | 'rewriteProperties'>,
  change: ChangeSpec,
  code: ConsumerSource,
  columns: DatasetColumn[] = [],
  cache?: AnalysisCache,
): ConsumerProposal {
  const plan = planConsumerEdit(engine, change, code, columns, cache);
  const { rewriteProperties } = engine;
  return completeConsumerEdit(
    plan,
    plan.rewrites.map(r => engine.rewrite(r.path, r.text, r.change, r.options)),
    rewriteProperties
      ? plan.properties.map(p => rewriteProperties(p.path, p.text, p.change))
      : [],
  );
}

/**
 * The first half of `proposeConsumerEdit`: analyses the consumer's files
 * (or takes their analyses from the cache) and says which must be
 * rewritten.
 *
 * @public
 */
export function planConsumerEdit(
  engine: Pick<RippleEngine, 'analyze'>,
  change: ChangeSpec,
  code: ConsumerSource,
  columns: DatasetColumn[] = [],
  cache?: AnalysisCache,
): ConsumerEditPlan {
  const dialect = code.dialect ?? change.dialect ?? 'generic';
  const changed = changedColumns(change);
  const movesTable = change.changes.some(
    c => c.kind === 'rename_table' || c.kind === 'replace_table',
  );
  const tableNames = code.tableNames ?? [];
  // Every way of naming the dataset ends with one of its names' last part,
  // so a file without any of those words cannot read it: no engine for it.
  const words = [change.dataset, ...tableNames].map(
    name => name.toLowerCase().split('.').pop() ?? name,
  );
  // What a file's cached analysis depends on besides the file itself.
  const key = [
    dialect,
    change.dataset,
    tableNames.join(','),
    columns.length,
    code.schema ? 'project' : '',
  ].join('\0');
  const files: ImpactFile[] = [];
  const rewrites: RewriteCall[] = [];

  for (const file of code.files) {
    const text = file.text.toLowerCase();
    if (!words.some(word => text.includes(word))) {
      continue;
    }
    let analyzed = cache?.get(file);
    if (!analyzed || analyzed.key !== key) {
      analyzed = {
        key,
        ...analyzeFile(engine, file, {
          dialect,
          table: change.dataset,
          columns,
          tableNames,
          projectSchema: code.schema,
        }),
      };
      cache?.set(file, analyzed);
    }
    const { analysis, table } = analyzed;
    let references = 0;
    // Whether the engine must rewrite the file: it names a changed column
    // (of the dataset, or unresolved), reads the dataset through `*`, names
    // the table when the change moves or replaces it, or has a statement the
    // engine could not parse. Otherwise nothing in it can change, and the
    // rewrite, the costly part of a proposal, is skipped.
    let touched = false;
    const read = new Set<string>();
    for (const statement of analysis.statements) {
      touched ||= !statement.parsed;
      for (const tableRead of statement.reads) {
        if (namesTable(tableRead.table, table)) {
          tableRead.columns.forEach(column => read.add(column));
        }
      }
      for (const reference of statement.references) {
        const ofDataset =
          (reference.table && namesTable(reference.table, table)) ||
          // (The engine leaves out an empty candidates list, whatever its
          // generated type says.)
          (reference.candidates ?? []).some(candidate =>
            namesTable(candidate, table),
          );
        const named =
          reference.kind === 'table' ||
          (reference.column !== undefined &&
            changed.has(reference.column.toLowerCase()));
        if (ofDataset && named) {
          references += 1;
        }
        const namesChanged =
          reference.column !== undefined &&
          changed.has(reference.column.toLowerCase());
        touched ||=
          (namesChanged && (ofDataset || !reference.resolved)) ||
          (ofDataset && (movesTable || reference.kind === 'wildcard'));
      }
    }
    if (references > 0 || read.size > 0) {
      files.push({ path: file.path, references, columns: [...read] });
    }
    if (!touched) {
      continue;
    }

    // A dbt model reading the dataset through a source is rewritten with the
    // source's name as the dataset: that is how its SQL names the table.
    rewrites.push({
      path: file.path,
      text: file.text,
      change: { ...change, dataset: table },
      options: { dialect, schema: consumerSchema(code.schema, table, columns) },
    });
  }

  // Property files name a source only as `source('shop', 'orders')`: a
  // dataset that dbt sources map is followed under the first source's name,
  // as `ripple rewrite` does.
  const propertiesChange = {
    ...change,
    dataset: tableNames[0] ?? change.dataset,
  };
  const properties: PropertiesCall[] = (code.properties ?? [])
    .filter(file => {
      const text = file.text.toLowerCase();
      return words.some(word => text.includes(word));
    })
    .map(file => ({
      path: file.path,
      text: file.text,
      change: propertiesChange,
    }));

  return {
    impact: {
      files,
      references: files.reduce((sum, f) => sum + f.references, 0),
    },
    rewrites,
    properties,
  };
}

/**
 * The second half of `proposeConsumerEdit`: the proposal from the plan and
 * the results of its rewrites, in the plan's order.
 *
 * @public
 */
export function completeConsumerEdit(
  plan: ConsumerEditPlan,
  results: FileRewrite[],
  /**
   * The results of the plan's `properties`, in its order; none where the
   * engine cannot rewrite property files (the browser).
   */
  propertiesResults: FileRewrite[] = [],
): ConsumerProposal {
  const diffs: string[] = [];
  const reasons: PatchReason[] = [];
  let status: PatchStatus = 'unaffected';
  let edits = 0;
  const done: Array<[string, FileRewrite]> = [
    ...results.map(
      (r, i) => [plan.rewrites[i].path, r] as [string, FileRewrite],
    ),
    ...propertiesResults.map(
      (r, i) => [plan.properties[i].path, r] as [string, FileRewrite],
    ),
  ];
  done.forEach(([path, rewrite]) => {
    if (rewrite.patch) {
      diffs.push(rewrite.patch);
    }
    edits += rewrite.edits;
    for (const finding of rewrite.findings) {
      reasons.push(patchReason(path, finding));
    }
    if (SEVERITY[rewrite.status] > SEVERITY[status]) {
      status = rewrite.status;
    }
  });
  return { impact: plan.impact, diff: diffs.join(''), status, reasons, edits };
}

/**
 * The engine's verdict on a consumer (`classifyImpact`, from its column
 * lineage) and its reasons, each at its reference, to add to its impact. It
 * reads the code with the same tables as its proposal, the dataset's
 * columns included, so that `*` expands.
 *
 * @public
 */
export function consumerVerdict(
  engine: Pick<RippleEngine, 'classifyImpact'>,
  change: ChangeSpec,
  code: ConsumerSource,
  columns: DatasetColumn[] = [],
): Pick<Impact, 'verdict' | 'reasons'> {
  const impact = engine.classifyImpact([...code.files], change, {
    dialect: code.dialect,
    tableNames: code.tableNames,
    schema: consumerSchema(code.schema, change.dataset, columns),
  });
  return {
    verdict: impact.verdict,
    reasons: impact.reasons.map(
      (reason): ImpactReason => ({
        kind: reason.kind,
        verdict: reason.verdict,
        message: reason.message,
        ...(reason.path !== undefined ? { path: reason.path } : {}),
        ...(reason.start
          ? { line: reason.start.line, column: reason.start.column }
          : {}),
      }),
    ),
  };
}

/**
 * The engine's analysis of one file, with the dataset's columns, and the
 * name under which the file reads the dataset's table: the table itself, or
 * a dbt source's name when a model reads it through one.
 *
 * @public
 */
export function analyzeFile(
  engine: Pick<RippleEngine, 'analyze'>,
  file: { path: string; text: string },
  options: {
    dialect: Dialect;
    table: string;
    columns: DatasetColumn[];
    tableNames: string[];
    /** The tables the consumer's own dbt project knows (`ConsumerSource.schema`). */
    projectSchema?: Schema;
  },
): { analysis: FileAnalysis; table: string; reads: boolean } {
  const { dialect, columns, projectSchema } = options;
  let table = options.table;
  let analysis = engine.analyze(file.path, file.text, {
    dialect,
    schema: consumerSchema(projectSchema, table, columns),
  });
  if (options.tableNames.length > 0 && analysis.language === 'dbt') {
    const source = options.tableNames.find(name =>
      readTables(analysis).some(
        read => read.toLowerCase() === name.toLowerCase(),
      ),
    );
    if (source) {
      table = source;
      analysis = engine.analyze(file.path, file.text, {
        dialect,
        schema: consumerSchema(projectSchema, table, columns),
      });
    }
  }
  const reads = readTables(analysis).some(read => namesTable(read, table));
  return { analysis, table, reads };
}

/**
 * The engine's schema argument for the dataset's table, or undefined when
 * its columns are unknown.
 *
 * @public
 */
export function engineSchema(
  table: string,
  columns: DatasetColumn[],
): Schema | undefined {
  if (columns.length === 0) {
    return undefined;
  }
  // (The generated type says Map; the engine takes a plain object, as JSON.)
  return { tables: { [table]: { columns } } } as unknown as Schema;
}

/**
 * The schema a consumer's file is read with: the tables its dbt project
 * knows, if any, and the dataset's columns under the name the file reads
 * it by, which win. The project's tables naming the dataset otherwise (its
 * relation, `proj.marts.orders`, where the file reads the source
 * `marts.orders`) are left out: two tables of the schema that one name
 * matches make the engine's verification depend on their order.
 */
function consumerSchema(
  project: Schema | undefined,
  table: string,
  columns: DatasetColumn[],
): Schema | undefined {
  const dataset = engineSchema(table, columns);
  if (!project) {
    return dataset;
  }
  // (Plain objects, as JSON, whatever the generated type says.)
  const tables = Object.fromEntries(
    Object.entries(project.tables as unknown as Record<string, unknown>).filter(
      ([name]) => !dataset || !sameTable(name, table),
    ),
  );
  Object.assign(tables, dataset?.tables);
  return { tables } as unknown as Schema;
}

function readTables(analysis: FileAnalysis): string[] {
  return analysis.statements.flatMap(statement => [
    ...statement.reads.map(read => read.table),
    ...statement.references
      .filter(reference => reference.kind === 'table' && !reference.write)
      .map(reference => reference.table!)
      .filter(Boolean),
  ]);
}

/**
 * Whether a table name as written names the dataset: the engine matches by
 * suffix (`orders`, `ds.orders` and `proj.ds.orders` name `proj.ds.orders`).
 *
 * @public
 */
export function namesTable(written: string, dataset: string): boolean {
  const parts = written.toLowerCase().split('.');
  const full = dataset.toLowerCase().split('.');
  return (
    parts.length <= full.length &&
    parts.every((part, i) => part === full[full.length - parts.length + i])
  );
}

/**
 * Whether two table names name the same table, one possibly less qualified
 * than the other (`ds.orders` and `proj.ds.orders`).
 *
 * @public
 */
export function sameTable(a: string, b: string): boolean {
  return namesTable(a, b) || namesTable(b, a);
}

function changedColumns(spec: ChangeSpec): Set<string> {
  const columns = new Set<string>();
  for (const change of spec.changes) {
    if ('column' in change) {
      columns.add(change.column.toLowerCase());
    }
    if (change.kind === 'replace_table' && change.columns) {
      Object.keys(change.columns).forEach(c => columns.add(c.toLowerCase()));
    }
  }
  return columns;
}
