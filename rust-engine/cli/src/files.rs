//! Reading the files a command is given, and writing results safely.

use std::io::Write;
use std::path::{Path, PathBuf};

use ripple_engine::{ChangeSpec, Dialect, Language, Schema};
use serde::Serialize;

use crate::Usage;

/// A consumer file read from disk.
pub(crate) struct ConsumerFile {
    pub path: PathBuf,
    /// The path as reported: relative to the working directory when under it.
    pub shown: String,
    /// `None` for a dbt property file (YAML), which has no SQL to analyse.
    pub language: Option<Language>,
    pub text: String,
}

/// Reads every consumer file under `paths`; with `properties`, dbt
/// property files (`.yml`, `.yaml`) too. All are read before any output,
/// so an unreadable path fails the run before anything is printed.
pub(crate) fn consumer_files(paths: &[PathBuf], properties: bool) -> Result<Vec<ConsumerFile>, Usage> {
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

/// Replaces a file's content all at once: a crash never leaves it half-written.
pub(crate) fn write_atomically(path: &Path, content: &str) -> Result<(), Usage> {
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
    let walker = walkdir::WalkDir::new(path).sort_by_file_name().into_iter().filter_entry(|e| e.depth() == 0 || !is_ignored_dir(e));
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

pub(crate) fn read(path: &Path) -> Result<String, Usage> {
    std::fs::read_to_string(path).map_err(|e| Usage(format!("cannot read {}: {e}", path.display())))
}

pub(crate) fn read_schema(path: &Path) -> Result<Schema, Usage> {
    let text = read(path)?;
    Schema::from_json(&text).map_err(|e| Usage(format!("{}: {e}", path.display())))
}

pub(crate) fn print_json(value: &impl Serialize) -> Result<(), Usage> {
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    serde_json::to_writer_pretty(&mut stdout, value).map_err(std::io::Error::from).and_then(|()| writeln!(stdout)).and_then(|()| stdout.flush()).map_err(|e| Usage(format!("cannot write output: {e}")))
}

/// Reads a change spec, checked in the dialect its SQL will be written in.
pub(crate) fn read_change(change: &Path, dialect: Option<Dialect>) -> Result<ChangeSpec, Usage> {
    ChangeSpec::from_json_in(&read(change)?, dialect).map_err(|e| Usage(format!("{}: {e}", change.display())))
}
