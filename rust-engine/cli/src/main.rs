//! `ripple`: Ripple's engine on the command line, for CI and terminals.
//!
//! Exit codes: 0 success, 1 some input did not parse (the JSON still reports
//! every file), 2 bad usage or unreadable input (nothing is printed on stdout).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use ripple_engine::{Dialect, EngineError, StatementTables};
use serde::Serialize;

#[derive(Parser)]
#[command(name = "ripple", version = ripple_engine::VERSION, about = "Ripple: find and fix what a dataset change breaks")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List the tables each SQL statement reads and writes, as JSON.
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

fn parse_dialect(name: &str) -> Result<Dialect, String> {
    name.parse().map_err(|e: EngineError| e.to_string())
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Tables { dialect, files } => tables(dialect, &files),
    }
}

fn tables(dialect: Dialect, paths: &[PathBuf]) -> ExitCode {
    // Read everything first: an unreadable path fails the run before any output.
    let mut sources = Vec::with_capacity(paths.len());
    for path in paths {
        match std::fs::read_to_string(path) {
            Ok(sql) => sources.push((path.display().to_string(), sql)),
            Err(e) => {
                eprintln!("ripple: cannot read {}: {e}", path.display());
                return ExitCode::from(2);
            }
        }
    }

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

    let mut stdout = std::io::stdout().lock();
    let written = serde_json::to_writer_pretty(&mut stdout, &TablesOutput { files })
        .map_err(std::io::Error::from)
        .and_then(|()| writeln!(stdout));
    if let Err(e) = written {
        eprintln!("ripple: cannot write output: {e}");
        return ExitCode::from(2);
    }
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
