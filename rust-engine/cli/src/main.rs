//! `ripple`: Ripple's engine on the command line, for CI and terminals.
//!
//! Exit codes: 0 success (`analyze` reports problems in the files as
//! diagnostics, `rewrite` as statuses, and both still exit 0); 1 `tables`
//! found SQL that does not parse, or `check-change` a problem in the spec;
//! 2 bad usage or unreadable input, with nothing on stdout.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use ripple_engine::analysis::{FileAnalysis, Severity};
use ripple_engine::{ChangeProblem, ChangeSpec, Dialect, EngineError, FileRewrite, Language, Options, RenamedOutputs, RewriteStatus, Schema, StatementTables};
use serde::Serialize;

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
        exit status); 1 `tables` found SQL that does not parse, or `check-change` a problem \
        in the spec; 2 bad usage, an unreadable \
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
    /// `git apply` takes it), a JSON report of every file's status to
    /// `--report`; `--write` applies the edits in place instead.
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
    /// Print the change spec's JSON Schema, as OpenAPI 3.0 components.
    ///
    /// {"ChangeSpec": {...}, "Change": {...}, "Dialect": {...}}, each
    /// referring to the others as `#/components/schemas/NAME`: what the
    /// backend's OpenAPI spec holds (scripts/generate-openapi.sh puts it
    /// there), so the API types `change` exactly as the engine reads it.
    Schema,
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
enum Format {
    /// One JSON object for all files, with a summary.
    Json,
    /// Newline-delimited JSON: one line per file.
    Ndjson,
}

fn parse_dialect(name: &str) -> Result<Dialect, String> {
    name.parse().map_err(|e: EngineError| e.to_string())
}

/// A failure that ends the run with exit code 2 and nothing on stdout.
struct Usage(String);

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Analyze { dialect, schema, format, pretty, paths } => analyze(dialect, schema.as_deref(), format, pretty, &paths),
        Command::Rewrite { change, dialect, schema, report, write, paths } => {
            rewrite(&change, dialect, schema.as_deref(), report.as_deref(), write, &paths)
        }

        Command::CompatView { change, dialect, schema, cleanup } => compat_view(&change, dialect, schema.as_deref(), cleanup),
        Command::CheckChange { change, dialect } => check_change(&change, dialect),
        Command::Schema => schema(),
        Command::Tables { dialect, files } => tables(dialect, &files),
    };
    match result {
        Ok(code) => code,
        Err(Usage(message)) => {
            eprintln!("ripple: {message}");
            ExitCode::from(2)
        }
    }
}

#[derive(Serialize)]
struct AnalyzeOutput {
    files: Vec<FileAnalysis>,
    summary: Summary,
}

#[derive(Serialize, Default)]
struct Summary {
    files: usize,
    statements: usize,
    files_with_errors: usize,
}

fn analyze(dialect: Dialect, schema: Option<&Path>, format: Format, pretty: bool, paths: &[PathBuf]) -> Result<ExitCode, Usage> {
    if pretty && format == Format::Ndjson {
        return Err(Usage("--pretty cannot indent ndjson: each file is one line".into()));
    }
    let schema = schema.map(read_schema).transpose()?;
    let options = Options { dialect, schema: schema.as_ref() };
    let files = consumer_files(paths, false)?;
    let analyses = files.iter().map(|file| ripple_engine::analyze(&file.shown, file.language.unwrap_or(Language::Sql), &file.text, options));
    let stdout = std::io::stdout();
    // Indentation is for people: a program reading the output (a pipe, a
    // file) gets compact JSON, less than half the bytes (10.8 MB against
    // 23.1 MB for bigquery-etl's 4.1 MB of plain SQL) and faster to parse.
    let indent = pretty || (format == Format::Json && stdout.is_terminal());
    let mut out = std::io::BufWriter::new(stdout.lock());
    let written = match (format, indent) {
        (Format::Json, true) => {
            let files: Vec<FileAnalysis> = analyses.collect();
            let summary = Summary::of(&files);
            serde_json::to_writer_pretty(&mut out, &AnalyzeOutput { files, summary }).map_err(std::io::Error::from)
        }
        // Each file is written as soon as it is analysed, and then dropped.
        (Format::Json, false) => compact_json(&mut out, analyses),
        // Compact JSON escapes every newline, so each file is one line.
        (Format::Ndjson, _) => analyses.into_iter().try_for_each(|analysis| {
            serde_json::to_writer(&mut out, &analysis).map_err(std::io::Error::from)?;
            writeln!(out)
        }),
    };
    written
        .and_then(|()| if format == Format::Json { writeln!(out) } else { Ok(()) })
        .and_then(|()| out.flush())
        .map_err(|e| Usage(format!("cannot write output: {e}")))?;
    Ok(ExitCode::SUCCESS)
}

impl Summary {
    fn of(files: &[FileAnalysis]) -> Summary {
        let mut summary = Summary::default();
        files.iter().for_each(|file| summary.add(file));
        summary
    }

    fn add(&mut self, file: &FileAnalysis) {
        self.files += 1;
        self.statements += file.statements.len();
        self.files_with_errors += usize::from(file.diagnostics.iter().any(|d| d.severity == Severity::Error));
    }
}

/// `{"files": [...], "summary": {...}}` as `serde_json::to_writer` writes
/// [`AnalyzeOutput`], written one file at a time so no file's analysis is
/// kept once it is printed.
fn compact_json(out: &mut impl Write, analyses: impl Iterator<Item = FileAnalysis>) -> std::io::Result<()> {
    let mut summary = Summary::default();
    out.write_all(b"{\"files\":[")?;
    for analysis in analyses {
        if summary.files > 0 {
            out.write_all(b",")?;
        }
        serde_json::to_writer(&mut *out, &analysis)?;
        summary.add(&analysis);
    }
    out.write_all(b"],\"summary\":")?;
    serde_json::to_writer(&mut *out, &summary)?;
    out.write_all(b"}")
}

/// A consumer file read from disk.
struct ConsumerFile {
    path: PathBuf,
    /// The path as reported: relative to the working directory when under it.
    shown: String,
    /// `None` for a dbt property file (YAML), which has no SQL to analyse.
    language: Option<Language>,
    text: String,
}

/// Reads every consumer file under `paths`; with `properties`, dbt
/// property files (`.yml`, `.yaml`) too. All are read before any output,
/// so an unreadable path fails the run before anything is printed.
fn consumer_files(paths: &[PathBuf], properties: bool) -> Result<Vec<ConsumerFile>, Usage> {
    let mut inputs = Vec::new();
    for path in paths {
        collect(path, properties, &mut inputs)?;
    }
    let cwd = std::env::current_dir().ok();
    let mut files = Vec::with_capacity(inputs.len());
    for (path, explicit) in inputs {
        let text = read(&path)?;
        let relative = cwd.as_deref().and_then(|cwd| path.strip_prefix(cwd).ok());
        let shown = relative.unwrap_or(&path).display().to_string();
        let language = match Language::detect(&shown, &text) {
            Some(language) => Some(language),
            None if properties && is_yaml(&path) => None,
            // A file named on the command line is read as SQL whatever its name.
            None if explicit => Some(Language::Sql),
            None => continue,
        };
        files.push(ConsumerFile { path, shown, language, text });
    }
    Ok(files)
}

#[derive(Serialize)]
struct RewriteReport {
    files: Vec<FileReport>,
    summary: RewriteSummary,
}

#[derive(Serialize)]
struct FileReport {
    path: String,
    status: RewriteStatus,
    reasons: Vec<String>,
    edits: usize,
}

#[derive(Serialize, Default)]
struct RewriteSummary {
    files: usize,
    rewritten: usize,
    unaffected: usize,
    needs_edit: usize,
    /// `needs_edit` under its old name, written until 0.3.
    needs_review: usize,
    error: usize,
    edits: usize,
}

fn rewrite(change: &Path, dialect: Option<Dialect>, schema: Option<&Path>, report: Option<&Path>, write: bool, paths: &[PathBuf]) -> Result<ExitCode, Usage> {
    let spec = read_change(change, dialect)?;
    let schema = schema.map(read_schema).transpose()?;
    let dialect = dialect.or(spec.dialect).unwrap_or(Dialect::Generic);
    let options = Options { dialect, schema: schema.as_ref() };
    let files = consumer_files(paths, true)?;
    // The code first: with output names not kept, the property files of
    // the models follow the outputs their rewrites rename.
    let mut outputs = RenamedOutputs::default();
    let mut results: Vec<Option<FileRewrite>> = files
        .iter()
        .map(|file| {
            let language = file.language?;
            let result = ripple_engine::rewrite(&file.shown, language, &file.text, &spec, options);
            let model = file.path.file_stem().and_then(|s| s.to_str()).filter(|_| file.path.extension().is_some_and(|e| e == "sql"));
            if let (false, Some(model)) = (spec.preserve_output_names, model) {
                outputs.add_model(model, language, &file.text, &result, options);
            }
            Some(result)
        })
        .collect();
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    let mut summary = RewriteSummary::default();
    let mut reports = Vec::with_capacity(files.len());
    for (file, result) in files.iter().zip(&mut results) {
        let result = result.take().unwrap_or_else(|| ripple_engine::rewrite_properties_with(&file.shown, &file.text, &spec, &outputs));
        if let Some(patch) = &result.patch {
            stdout.write_all(patch.as_bytes()).map_err(|e| Usage(format!("cannot write output: {e}")))?;
        }
        if let (true, Some(content)) = (write, &result.content) {
            write_atomically(&file.path, content)?;
        }
        summary.files += 1;
        summary.edits += result.edits;
        *match result.status {
            RewriteStatus::Rewritten => &mut summary.rewritten,
            RewriteStatus::Unaffected => &mut summary.unaffected,
            RewriteStatus::NeedsEdit => &mut summary.needs_edit,
            RewriteStatus::Error => &mut summary.error,
        } += 1;
        reports.push(FileReport { path: result.path, status: result.status, reasons: result.reasons, edits: result.edits });
    }
    stdout.flush().map_err(|e| Usage(format!("cannot write output: {e}")))?;
    summary.needs_review = summary.needs_edit;
    if let Some(report) = report {
        let json = serde_json::to_string_pretty(&RewriteReport { files: reports, summary }).expect("a report always serializes");
        write_atomically(report, &format!("{json}\n"))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Replaces a file's content all at once: a crash never leaves it half-written.
fn write_atomically(path: &Path, content: &str) -> Result<(), Usage> {
    let fail = |e: std::io::Error| Usage(format!("cannot write {}: {e}", path.display()));
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut file = tempfile::NamedTempFile::new_in(dir).map_err(fail)?;
    file.write_all(content.as_bytes()).map_err(fail)?;
    if let Ok(metadata) = std::fs::metadata(path) {
        file.as_file().set_permissions(metadata.permissions()).map_err(fail)?;
    }
    file.persist(path).map_err(|e| fail(e.error))?;
    Ok(())
}

/// Files to analyse under `path`, sorted; `true` for files named directly.
/// With `properties`, YAML files too (dbt property files).
fn collect(path: &Path, properties: bool, into: &mut Vec<(PathBuf, bool)>) -> Result<(), Usage> {
    let metadata = std::fs::metadata(path).map_err(|e| Usage(format!("cannot read {}: {e}", path.display())))?;
    if !metadata.is_dir() {
        into.push((path.to_path_buf(), true));
        return Ok(());
    }
    let walker = walkdir::WalkDir::new(path)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !is_ignored_dir(e));
    for entry in walker {
        let entry = entry.map_err(|e| Usage(format!("cannot read {}: {e}", path.display())))?;
        let name = entry.file_name().to_string_lossy();
        let code = matches!(name.rsplit_once('.').map(|(_, e)| e), Some("sql" | "py" | "java" | "scala"));
        if entry.file_type().is_file() && (code || properties && is_yaml(entry.path())) {
            into.push((entry.into_path(), false));
        }
    }
    Ok(())
}

fn is_yaml(path: &Path) -> bool {
    path.extension().is_some_and(|e| e.eq_ignore_ascii_case("yml") || e.eq_ignore_ascii_case("yaml"))
}

/// Hidden folders, dependencies and build outputs are not consumer code.
fn is_ignored_dir(entry: &walkdir::DirEntry) -> bool {
    let name = entry.file_name().to_string_lossy();
    entry.file_type().is_dir() && (name.starts_with('.') || matches!(name.as_ref(), "node_modules" | "target" | "dbt_packages" | "__pycache__"))
}

fn read(path: &Path) -> Result<String, Usage> {
    std::fs::read_to_string(path).map_err(|e| Usage(format!("cannot read {}: {e}", path.display())))
}

fn read_schema(path: &Path) -> Result<Schema, Usage> {
    let text = read(path)?;
    Schema::from_json(&text).map_err(|e| Usage(format!("{}: {e}", path.display())))
}

fn print_json(value: &impl Serialize) -> Result<(), Usage> {
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    serde_json::to_writer_pretty(&mut stdout, value)
        .map_err(std::io::Error::from)
        .and_then(|()| writeln!(stdout))
        .and_then(|()| stdout.flush())
        .map_err(|e| Usage(format!("cannot write output: {e}")))
}

/// Reads a change spec, checked in the dialect its SQL will be written in.
fn read_change(change: &Path, dialect: Option<Dialect>) -> Result<ChangeSpec, Usage> {
    ChangeSpec::from_json_in(&read(change)?, dialect).map_err(|e| Usage(format!("{}: {e}", change.display())))
}

#[derive(Serialize)]
struct CheckOutput {
    problems: Vec<ChangeProblem>,
}

fn check_change(change: &Path, dialect: Option<Dialect>) -> Result<ExitCode, Usage> {
    let problems = ripple_engine::check_change(&read(change)?, dialect);
    for problem in &problems {
        let field = problem.field.as_ref().map(|f| format!("{f}: ")).unwrap_or_default();
        eprintln!("{}: {field}{}", change.display(), problem.message);
    }
    let failed = !problems.is_empty();
    print_json(&CheckOutput { problems })?;
    Ok(if failed { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

fn schema() -> Result<ExitCode, Usage> {
    let mut settings = schemars::gen::SchemaSettings::openapi3();
    // An absent field is how the spec leaves one out; `nullable` without a
    // `type` (an optional `$ref`) is also refused by the backend's validator.
    settings.option_nullable = false;
    let generator = settings.into_generator();
    let root = generator.into_root_schema_for::<ChangeSpec>();
    let mut components = serde_json::Map::new();
    let mut spec = serde_json::to_value(&root.schema).expect("a schema always serializes");
    // The root's title is the type's name, which its key says already.
    if let Some(object) = spec.as_object_mut() {
        object.remove("title");
    }
    components.insert("ChangeSpec".into(), spec);
    for (name, definition) in root.definitions {
        components.insert(name, serde_json::to_value(definition).expect("a schema always serializes"));
    }
    let mut components = serde_json::Value::Object(components);
    without_defaults(&mut components);
    print_json(&components)?;
    Ok(ExitCode::SUCCESS)
}

/// Drops the schema's `default`s: the backend's request validator (ajv with
/// `useDefaults`, in express-openapi-validator) writes a `oneOf` branch's
/// defaults into the body while it tries that branch, and the next branch
/// then refuses the field as unknown. The engine applies its defaults itself.
fn without_defaults(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            map.remove("default");
            map.values_mut().for_each(without_defaults);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(without_defaults),
        _ => {}
    }
}

fn compat_view(change: &Path, dialect: Option<Dialect>, schema: Option<&Path>, cleanup: bool) -> Result<ExitCode, Usage> {
    let spec = read_change(change, dialect)?;
    let schema = schema.map(read_schema).transpose()?;
    let dialect = dialect.or(spec.dialect).unwrap_or(Dialect::Generic);
    let view = ripple_engine::compat_view(&spec, dialect, schema.as_ref()).map_err(|e| Usage(e.to_string()))?;
    let ddl = if cleanup { view.cleanup } else { view.create };
    writeln!(std::io::stdout().lock(), "{ddl}").map_err(|e| Usage(format!("cannot write output: {e}")))?;
    Ok(ExitCode::SUCCESS)
}

#[derive(Serialize)]
struct TablesOutput {
    files: Vec<FileTables>,
}

#[derive(Serialize)]
struct FileTables {
    path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    statements: Option<Vec<StatementTables>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<EngineError>,
}

fn tables(dialect: Dialect, paths: &[PathBuf]) -> Result<ExitCode, Usage> {
    // Read everything first: an unreadable path fails the run before any output.
    let sources = paths
        .iter()
        .map(|path| Ok((path.display().to_string(), read(path)?)))
        .collect::<Result<Vec<_>, Usage>>()?;
    let mut failed = false;
    let files = sources
        .into_iter()
        .map(|(path, sql)| match ripple_engine::tables(&sql, dialect) {
            Ok(statements) => FileTables { path, statements: Some(statements), error: None },
            Err(error) => {
                failed = true;
                if let EngineError::Syntax { message, line, column } = &error {
                    eprintln!("{path}:{line}:{column}: {message}");
                } else {
                    eprintln!("{path}: {error}");
                }
                FileTables { path, statements: None, error: Some(error) }
            }
        })
        .collect();
    print_json(&TablesOutput { files })?;
    Ok(if failed { ExitCode::from(1) } else { ExitCode::SUCCESS })
}
