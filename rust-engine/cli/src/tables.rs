//! `ripple tables`: the tables each statement reads and writes.

use std::path::PathBuf;
use std::process::ExitCode;

use ripple_engine::{Dialect, EngineError, StatementTables};
use serde::Serialize;

use crate::files::{print_json, read};
use crate::Usage;

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

pub(crate) fn tables(dialect: Dialect, paths: &[PathBuf]) -> Result<ExitCode, Usage> {
    // Read everything first: an unreadable path fails the run before any output.
    let sources = paths.iter().map(|path| Ok((path.display().to_string(), read(path)?))).collect::<Result<Vec<_>, Usage>>()?;
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
