//! `ripple`: Ripple's engine on the command line, for CI and terminals.
//!
//! Exit codes: 0 success (`analyze` reports problems in the files as
//! diagnostics, `rewrite` as statuses, and both still exit 0); 1 `tables`
//! found SQL that does not parse, `check-change` a problem in the spec, or
//! `check` a change that breaks consumers and no migration covers; 2 bad
//! usage or unreadable input, with nothing on stdout.

mod analyze;
mod change;
mod check;
mod diff;
mod files;
mod impact;
mod plan;
mod project;
mod rewrite;
mod tables;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use ripple_engine::{Dialect, EngineError, SchemaFormat};

#[derive(Parser)]
#[command(
    name = "ripple",
    version = ripple_engine::VERSION,
    about = "Ripple: find and fix what a dataset change breaks",
    long_about = "Ripple: find and fix what a dataset change breaks.\n\n\
        Reads the code of a dataset's consumers (SQL, dbt, and SQL inside Python, Java \
        and Scala) and rewrites it for a change to the dataset.",
    after_help = "Dialects (--dialect): ansi, bigquery, databricks, duckdb, generic, hive, mysql, \
        postgres (or postgresql), redshift, snowflake, spark.\n\n\
        Exit status: 0 success (problems in the files are reported in the JSON, not by the \
        exit status); 1 `tables` found SQL that does not parse, `check-change` a problem \
        in the spec, or `check` a change that breaks consumers and no migration covers; \
        2 bad usage, an unreadable \
        path or a malformed change spec or schema, with nothing on stdout.\n\n\
        Run `ripple help <COMMAND>` for a command's options. Formats: \
        https://github.com/ripple-data/ripple#the-engine"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Column-level analysis of consumer code, as JSON.
    ///
    /// The tables and columns each statement reads and writes, with exact
    /// positions, and each output column's sources.
    ///
    /// Directories are walked for .sql (plain or dbt/Jinja), .py, .java and
    /// .scala files; the language is chosen by extension.
    ///
    /// Output: with `--format json` (the default) one object, {"files":
    /// [...], "summary": {...}}, indented when stdout is a terminal and
    /// compact (one line) otherwise, as for a program reading it; `--pretty`
    /// indents it anyway. With `--format ndjson`, one line per file, each
    /// that file's analysis as compact JSON, printed as soon as it is made
    /// (no summary), so a caller can stream.
    ///
    /// Exits 0 whatever the files contain (a statement that does not parse is
    /// an error diagnostic in the JSON); 2 on bad usage, an unreadable path or
    /// a malformed schema.
    Analyze {
        /// SQL dialect (see `ripple tables --help` for the list).
        #[arg(long, short, default_value = "generic", value_parser = parse_dialect)]
        dialect: Dialect,
        /// Known table schemas: {"tables": {"proj.ds.t": {"columns": [{"name": "id", "type": "INT64"}]}}}.
        #[arg(long, short)]
        schema: Option<PathBuf>,
        /// A dbt project whose schemas to use: its models' columns from their
        /// SQL (through refs), seeds' headers, property files, and
        /// target/catalog.json and manifest.json. `--schema` wins where both
        /// name a table; conflicts are warned about on stderr.
        #[arg(long)]
        project: Option<PathBuf>,
        /// The dataset a change is about (`raw.raw_orders`): warn, on stderr
        /// and in the JSON's `warnings`, when no file names it as a table,
        /// `ref()` or `source()` (a dbt source by its relation counts, with
        /// `--project`), naming the closest names they use.
        #[arg(long)]
        dataset: Option<String>,
        /// `json`: one object, indented on a terminal, compact otherwise;
        /// `ndjson`: one compact line per file.
        #[arg(long, short, value_enum, default_value = "json")]
        format: Format,
        /// Indent the JSON even when stdout is not a terminal (not with ndjson,
        /// whose files are one line each).
        #[arg(long)]
        pretty: bool,
        /// Files and directories to analyse.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Rewrite consumer code for a change to a dataset, as a unified diff.
    ///
    /// The diff goes to stdout (paths relative to the working directory;
    /// `git apply` takes it), a JSON report of every file's status and
    /// findings (kind, severity, place, message; and as `line N, column M:
    /// message` lines) to `--report`; `--write` applies the edits in place
    /// instead.
    ///
    /// Directories are walked as for `analyze`, and for .yml and .yaml
    /// files: dbt property files, whose tests, unit-test fixtures, exposures,
    /// metrics and semantic models follow the change (YAML that is no dbt
    /// property file is unaffected).
    ///
    /// Exits 0 whatever the files' statuses (rewritten, unaffected,
    /// needs_edit, error); 2 on a bad change spec, schema or path.
    Rewrite {
        /// The change spec: {"dataset": "proj.ds.orders", "changes": [{"kind": "rename_column", "column": "amount", "to": "amount_usd"}]}.
        #[arg(long, short)]
        change: PathBuf,
        /// SQL dialect; defaults to the change spec's `dialect`, then generic.
        #[arg(long, short, value_parser = parse_dialect)]
        dialect: Option<Dialect>,
        /// Known table schemas, as for `analyze`; needed to expand `SELECT *`.
        #[arg(long, short)]
        schema: Option<PathBuf>,
        /// A dbt project whose schemas to use, as for `analyze`.
        #[arg(long)]
        project: Option<PathBuf>,
        /// Where to write the JSON report.
        #[arg(long, short)]
        report: Option<PathBuf>,
        /// Apply the rewrites to the files in place.
        #[arg(long, short)]
        write: bool,
        /// Files and directories to rewrite.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Derive the change spec between two versions of a dataset's schema.
    ///
    /// OLD and NEW are each Ripple's schema JSON (or a `ripple.io/schema`
    /// columns file), a dbt property file (a model's or a source's
    /// `columns`), a BigQuery schema (`bq show --schema` JSON, or a
    /// bigquery-etl `schema.yaml` with `fields:`) or `CREATE TABLE` DDL
    /// (.sql), told apart by name and content (`--format` to say).
    ///
    /// Prints one JSON object: {"dataset", "change": the change spec
    /// `ripple rewrite` takes, with only what the files decide (declared
    /// renames, `renamed_from` or dbt's `meta.renamed_from`; moves;
    /// retypes; drops), "suggestions": renames inferred from a drop and an
    /// add, each with the change it would add and why, "undecided": what
    /// no change spec can say, each with the file, line and reason,
    /// "added": new columns, "tables": every table that changed}.
    ///
    /// Exits 0; 2 on bad input (an unknown format, malformed JSON, YAML or
    /// DDL, with the file, line and column), with nothing on stdout.
    Diff {
        /// The schema before the change.
        old: PathBuf,
        /// The schema after the change.
        new: PathBuf,
        /// Dialect of the DDL and of the change's types; default `generic`
        /// (`bigquery` for BigQuery schemas).
        #[arg(long, short, value_parser = parse_dialect)]
        dialect: Option<Dialect>,
        /// The dataset's table when the files hold several (`stg_orders`),
        /// or a move declared as OLD=NEW (`proj.ds.orders=proj.ds.orders_v2`).
        #[arg(long, short)]
        table: Option<String>,
        /// Both files' format: ripple, dbt, bigquery or ddl.
        #[arg(long, short)]
        format: Option<SchemaFormat>,
    },
    /// Classify each consumer's impact for a change, as JSON.
    ///
    /// Each PATH is one consumer (a file, or a folder walked as for
    /// `rewrite`). Its verdict is `breaking` when it reads a column the
    /// change drops, renames or retypes (or the table it moves),
    /// `partially_breaking` when it outputs the dataset through `*` (its
    /// output changes shape), else `unaffected`; each reason with its kind,
    /// file, line and column. From the column lineage alone: nothing is
    /// rewritten.
    ///
    /// Prints {"consumers": [{"consumer", "verdict", "reasons", "files"}],
    /// "summary": {...}}. Exits 0 whatever the verdicts; 2 on a bad change
    /// spec, schema or path.
    Impact {
        /// The change spec (JSON).
        #[arg(long, short)]
        change: PathBuf,
        /// SQL dialect; defaults to the change spec's `dialect`, then generic.
        #[arg(long, short, value_parser = parse_dialect)]
        dialect: Option<Dialect>,
        /// Known table schemas, as for `analyze`; `*` then expands to columns.
        #[arg(long, short)]
        schema: Option<PathBuf>,
        /// A dbt project whose schemas to use, as for `analyze`.
        #[arg(long)]
        project: Option<PathBuf>,
        /// The consumers: one file or folder each.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Report what a pull request's schema changes break, for the producer's CI.
    ///
    /// Run in the producer's repository. Finds the datasets changed between
    /// two commits: dbt models whose SQL or property file changed (their
    /// output columns compared at both, renames declared with
    /// `meta.renamed_from` or `renamed_from` applied), and changed schema
    /// files (Ripple schema JSON, dbt property files' sources, BigQuery
    /// schemas, CREATE TABLE DDL); derives each one's change as `ripple
    /// diff` does (inferred renames stay suggestions); classifies its
    /// consumers as `ripple impact` does: the models of the repository's dbt
    /// projects, the files under `--paths`, and with `--portal` the fleet
    /// Ripple's portal knows, with the open migrations that cover the change.
    ///
    /// Exit status: 1 when some change has a breaking consumer and no open
    /// migration covers it; 0 when every breaking change is covered or has
    /// no breaking consumer; 2 on bad input (a ref that does not exist, a
    /// schema file of no known format, malformed YAML, JSON or DDL, the
    /// portal unreachable or answering an error). See docs/ci.md.
    Check {
        /// The commit the pull request starts from (`origin/main`).
        #[arg(long)]
        base: String,
        /// The commit with the changes; default `HEAD` (commit first: the
        /// working tree is not read).
        #[arg(long, default_value = "HEAD")]
        head: String,
        /// Consumer code to classify besides the repository's dbt models:
        /// files and folders (SQL, dbt projects, Python, Java, Scala), read
        /// from disk.
        #[arg(long, num_args = 1..)]
        paths: Vec<PathBuf>,
        /// The Ripple portal's URL (`https://backstage.example.com`): its
        /// `POST /api/ripple/impact` adds the consumers it knows and the
        /// migrations that cover the change.
        #[arg(long, requires = "token_env")]
        portal: Option<String>,
        /// The environment variable holding the portal's token (sent as
        /// `Authorization: Bearer`).
        #[arg(long, requires = "portal")]
        token_env: Option<String>,
        /// `markdown` for a pull request's comment, or `json`.
        #[arg(long, short, value_enum, default_value = "markdown")]
        format: check::CheckFormat,
        /// SQL dialect of the models, DDL and consumers.
        #[arg(long, short, default_value = "generic", value_parser = parse_dialect)]
        dialect: Dialect,
        /// The repository (a folder inside it); default the working directory.
        #[arg(long, short = 'C', default_value = ".")]
        repo: PathBuf,
    },
    /// Print the DDL of a compatibility view for a change that moves a table.
    ///
    /// The view has the dataset's old name and columns, read from the new
    /// table, so consumers keep working while they migrate. `--cleanup`
    /// prints the DDL that removes it.
    ///
    /// The change must rename or replace the table. Exits 0 with the DDL on
    /// stdout; 2 on a bad file or a view the change cannot have (the message
    /// says why).
    CompatView {
        /// The change spec (JSON): {"dataset": "proj.ds.orders", "changes": [...]}.
        #[arg(long, short)]
        change: PathBuf,
        /// SQL dialect; defaults to the change spec's `dialect`, then `generic`.
        #[arg(long, short, value_parser = parse_dialect)]
        dialect: Option<Dialect>,
        /// Schema listing the dataset's columns before the change, with their
        /// types; needed for dropped and retyped columns, and to keep the old
        /// column order.
        #[arg(long, short)]
        schema: Option<PathBuf>,
        /// Print the DDL that drops the view instead.
        #[arg(long)]
        cleanup: bool,
    },
    /// Print the DDL of a forward view: the dataset as it will be after the
    /// change, read from its table as it is now.
    ///
    /// The view (`--view`, a name in a scratch schema of its own) has the new
    /// column names and types, so a consumer's patched query can run on real
    /// rows before the producer changes anything. `--cleanup` prints the DDL
    /// that removes it.
    ///
    /// Exits 0 with the DDL on stdout; 2 on a bad file or a view the change
    /// cannot have (a mapping computed from the new table, a clashing name).
    ForwardView {
        /// The change spec (JSON).
        #[arg(long, short)]
        change: PathBuf,
        /// The view's name (`ripple_scratch.orders_v2`).
        #[arg(long)]
        view: String,
        /// SQL dialect; defaults to the change spec's `dialect`, then `generic`.
        #[arg(long, short, value_parser = parse_dialect)]
        dialect: Option<Dialect>,
        /// Schema listing the dataset's columns before the change: the view
        /// then lists the new columns in the old order (needed where the
        /// dialect has no `* EXCEPT`/`* EXCLUDE` and a column changes).
        #[arg(long, short)]
        schema: Option<PathBuf>,
        /// Print the DDL that drops the view instead.
        #[arg(long)]
        cleanup: bool,
    },
    /// Print a change's step plan on the warehouse: expand, backfill,
    /// verify, switch, contract.
    ///
    /// Each step's statements, in order, and what rolls it back. The table
    /// is copied into its new shape (the change's new table, or a versioned
    /// `<table>__ripple_v2` when it keeps its name), checked, and put behind
    /// a view under the dataset's name, so consumers patched or not keep
    /// working until the contract.
    ///
    /// `--format sql` (the default) prints a script, each step under a
    /// `-- expand` header, its rollback commented out below it; `--format
    /// json` prints {"steps": [{"name": "expand", "statements": [...],
    /// "rollback": [...]}, ...], ...}, with the backfill's batches.
    /// Exits 0; 2 on a bad file or a plan the change cannot have (the
    /// message names the field).
    Plan {
        /// The change spec (JSON).
        #[arg(long, short)]
        change: PathBuf,
        /// The warehouse's dialect (duckdb, postgres, bigquery, snowflake);
        /// defaults to the change spec's `dialect`.
        #[arg(long, short, value_parser = parse_dialect)]
        dialect: Option<Dialect>,
        /// Schema listing the dataset's columns before the change, each
        /// with its type.
        #[arg(long, short)]
        schema: PathBuf,
        /// The column the backfill's batches are ranges of; default the
        /// first column the change keeps or renames.
        #[arg(long)]
        key: Option<String>,
        /// Rows per backfill batch; default 100000 (1966080 in DuckDB: whole
        /// row groups).
        #[arg(long)]
        batch_rows: Option<u64>,
        /// `sql` (a script) or `json`.
        #[arg(long, short, value_enum, default_value = "sql")]
        format: plan::PlanFormat,
    },
    /// Check a change spec: every problem, each with the field at fault.
    ///
    /// Prints {"problems": [{"field": "changes[0].columns.amount", "message":
    /// "..."}]} (an empty list when the spec can be used). Mappings and
    /// types must each be one expression or one data type of the dialect.
    ///
    /// Exits 0 when the spec can be used; 1 when it has problems (also
    /// listed on stderr as `FILE: FIELD: MESSAGE`); 2 on an unreadable file.
    CheckChange {
        /// The change spec (JSON).
        #[arg(long, short)]
        change: PathBuf,
        /// SQL dialect its mappings and types are written in; defaults to
        /// the change spec's `dialect`, then `generic`.
        #[arg(long, short, value_parser = parse_dialect)]
        dialect: Option<Dialect>,
    },
    /// Print the JSON Schemas of the engine's types the API carries, as
    /// OpenAPI 3.0 components.
    ///
    /// {"ChangeSpec": {...}, "Change": {...}, "Dialect": {...},
    /// "FindingKind": {...}, "FindingSeverity": {...}}, each referring to the
    /// others as `#/components/schemas/NAME`: what the backend's OpenAPI spec
    /// holds (scripts/generate-openapi.sh puts it there), so the API types a
    /// `change` exactly as the engine reads it, and a reason's kind and
    /// severity exactly as the engine writes them.
    Schema,
    /// Print the schemas a dbt project already knows, as JSON.
    ///
    /// {"schema": {"tables": ...}, "origins": [{"table", "origin", "path",
    /// "columns"}], "conflicts": [{"table", "message"}], "problems": [...]}:
    /// each model's columns from its SQL (through its refs), seeds' CSV
    /// headers, property files' `columns`, target/catalog.json and
    /// target/manifest.json. Sources that disagree on a table are a
    /// conflict, and the table is left out. Exits 0; 2 when DIR is no dbt
    /// project or unreadable.
    Project {
        /// The project's folder (with dbt_project.yml).
        dir: PathBuf,
        /// SQL dialect its models are written in.
        #[arg(long, short, default_value = "generic", value_parser = parse_dialect)]
        dialect: Dialect,
        /// Schemas given explicitly, which win over the project's.
        #[arg(long, short)]
        schema: Option<PathBuf>,
    },
    /// List the tables each SQL statement reads and writes, as JSON.
    ///
    /// Exits 0 when every file parsed; 1 when some file did not (its JSON has
    /// an `error` with line and column, and stderr a `path:line:column:
    /// message` line); 2 on bad usage or an unreadable file.
    Tables {
        /// SQL dialect: ansi, bigquery, databricks, duckdb, generic, hive,
        /// mysql, postgres, redshift, snowflake or spark.
        #[arg(long, short, default_value = "generic", value_parser = parse_dialect)]
        dialect: Dialect,
        /// SQL files to read.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

/// How `analyze` prints its results.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    /// One JSON object for all files, with a summary.
    Json,
    /// Newline-delimited JSON: one line per file.
    Ndjson,
}

fn parse_dialect(name: &str) -> Result<Dialect, String> {
    name.parse().map_err(|e: EngineError| e.to_string())
}

/// A failure that ends the run with exit code 2 and nothing on stdout.
pub(crate) struct Usage(pub(crate) String);

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Analyze { dialect, schema, project, dataset, format, pretty, paths } => analyze::analyze(dialect, schema.as_deref(), project.as_deref(), dataset.as_deref(), format, pretty, &paths),
        Command::Rewrite { change, dialect, schema, project, report, write, paths } => rewrite::rewrite(&change, dialect, schema.as_deref(), project.as_deref(), report.as_deref(), write, &paths),
        Command::Project { dir, dialect, schema } => project::project(&dir, dialect, schema.as_deref()),

        Command::Impact { change, dialect, schema, project, paths } => impact::impact(&change, dialect, schema.as_deref(), project.as_deref(), &paths),
        Command::Diff { old, new, dialect, table, format } => diff::diff(&old, &new, dialect, table, format),
        Command::Check { base, head, paths, portal, token_env, format, dialect, repo } => {
            let portal = portal.zip(token_env);
            check::check(&check::CheckArgs { repo, base, head, paths, portal, format, dialect })
        }
        Command::CompatView { change, dialect, schema, cleanup } => change::compat_view(&change, dialect, schema.as_deref(), cleanup),
        Command::ForwardView { change, view, dialect, schema, cleanup } => change::forward_view(&change, &view, dialect, schema.as_deref(), cleanup),
        Command::Plan { change, dialect, schema, key, batch_rows, format } => plan::plan(plan::PlanArgs { change: &change, dialect, schema: &schema, key, batch_rows, format }),
        Command::CheckChange { change, dialect } => change::check_change(&change, dialect),
        Command::Schema => change::schema(),
        Command::Tables { dialect, files } => tables::tables(dialect, &files),
    };
    match result {
        Ok(code) => code,
        Err(Usage(message)) => {
            eprintln!("ripple: {message}");
            ExitCode::from(2)
        }
    }
}
