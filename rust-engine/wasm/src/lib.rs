//! WebAssembly bindings of Ripple's engine. wasm-pack builds them into the
//! `@ripple/engine` npm package, used by the backend (Node) and the browser.
//!
//! Values cross the boundary as plain JSON-compatible objects whose
//! TypeScript types are generated from the Rust types (tsify). Arguments are
//! taken as `JsValue`s and checked here, so a wrong type is a typed error and
//! not a failure inside wasm-bindgen's glue. (Also, wasm-bindgen 0.2.130's
//! glue copies a `&str` argument into the instance's memory *before* its
//! reinit check swaps in a fresh instance after a panic, so the first call
//! after a panic would hand the new instance a pointer into the old one.)
//! Errors are thrown as JS `Error`s named `RippleError` carrying the error's
//! fields; a panic too (`panic.rs`).
//!
//! One small function per binding; what they share is in `boundary.rs`.

mod analyses;
mod boundary;
#[cfg(feature = "dbt")]
mod dbt;
#[cfg(feature = "dbt")]
mod diff;
mod heap;
mod impact;
mod panic;
mod parameters;
mod views;

use std::rc::Rc;

use ripple_engine::{ChangeSpec, Dialect, FileAnalysis, Language, Options, Schema};
use serde::Deserialize;
use tsify::Tsify;
use wasm_bindgen::prelude::*;

pub use boundary::BindingError;
use boundary::{dialect_arg, json_arg, options_arg, schema_arg, string_arg, to_js, to_js_error};

#[wasm_bindgen(typescript_custom_section)]
const RIPPLE_ERROR: &'static str = r#"
/**
 * What the engine throws: a JS `Error` named `RippleError` with the fields of
 * the engine's error (`EngineError`) or of the bindings' (`BindingError`).
 */
export type RippleError = Error & { name: 'RippleError' } & (EngineError | BindingError);
"#;

// wasm-bindgen also exports it, as `start`; it is not part of the typed API.
#[wasm_bindgen(start, skip_typescript)]
fn start() {
    panic::install_hook();
}

/// The engine's version.
#[wasm_bindgen]
pub fn version() -> String {
    ripple_engine::VERSION.to_string()
}

/// The tables each statement of `sql` reads and writes.
#[wasm_bindgen(unchecked_return_type = "StatementTables[]")]
pub fn tables(#[wasm_bindgen(unchecked_param_type = "string")] sql: JsValue, #[wasm_bindgen(unchecked_param_type = "Dialect")] dialect: JsValue) -> Result<JsValue, JsValue> {
    let sql = string_arg(&sql, "sql")?;
    let dialect = dialect_arg(&dialect, "dialect")?;
    let found = ripple_engine::tables(&sql, dialect).map_err(to_js_error)?;
    to_js(&found)
}

/// Everything wrong with a change spec (an object or its JSON text), each
/// problem with the field at fault (`changes[0].columns.amount`); an empty
/// list when the spec can be used. Mappings and types must each be one
/// expression or one data type of `options.dialect` (by default the spec's
/// own `dialect`, then `generic`): the dialect they will be written in.
/// Throws only for a bad argument (an unknown dialect).
#[wasm_bindgen(js_name = validateChange, unchecked_return_type = "ChangeProblem[]")]
pub fn validate_change(
    #[wasm_bindgen(unchecked_param_type = "ChangeSpec | string")] change: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "ValidateChangeOptions")] options: JsValue,
) -> Result<JsValue, JsValue> {
    let options: ValidateChangeOptions = options_arg(options, "options")?;
    let dialect = options.dialect.as_deref().map(str::parse).transpose().map_err(to_js_error)?;
    to_js(&ripple_engine::check_change(&json_text(&change)?.unwrap_or_default(), dialect))
}

/// What `validateChange` needs besides the change.
#[derive(Default, Deserialize, Tsify)]
#[serde(default, deny_unknown_fields)]
pub struct ValidateChangeOptions {
    /// The dialect the spec's mappings and types are written in.
    #[tsify(optional, type = "Dialect")]
    pub dialect: Option<String>,
}

/// A JSON value given as text, or as the object it stands for; `None` for
/// what JSON cannot hold (`undefined`, a function), which then reads as empty
/// text and fails with the JSON reader's message.
pub(crate) fn json_text(value: &JsValue) -> Result<Option<String>, JsValue> {
    match value.as_string() {
        Some(text) => Ok(Some(text)),
        None => Ok(js_sys::JSON::stringify(value)?.as_string()),
    }
}

/// What `analyze` and `rewrite` need besides the file (and the change).
/// Every field is optional.
#[derive(Default, Deserialize, Tsify)]
#[serde(default, deny_unknown_fields)]
pub struct AnalyzeOptions {
    /// The file's language; by default chosen from the path's extension (a
    /// `.sql` file with Jinja tags is `dbt`), and `sql` for other paths.
    #[tsify(optional)]
    pub language: Option<Language>,
    /// The SQL dialect; `generic` by default (`rewrite`: the change spec's
    /// dialect first).
    #[tsify(optional, type = "Dialect")]
    pub dialect: Option<String>,
    /// The columns of known tables (`rewrite` needs them to expand
    /// `SELECT *`), as an object or as its JSON text.
    #[tsify(optional, type = "Schema | string")]
    pub schema: Option<serde_json::Value>,
}

#[wasm_bindgen(typescript_custom_section)]
const REWRITE_OPTIONS: &'static str = r#"
/** What `rewrite` needs besides the file and the change: the options of `analyze`. */
export type RewriteOptions = AnalyzeOptions;
"#;

/// A consumer file and its options, checked as they cross the boundary.
struct FileInput {
    path: String,
    text: String,
    language: Language,
    /// `None` when the caller names none: each binding has its default.
    dialect: Option<Dialect>,
    schema: Option<Schema>,
}

fn file_input(path: &JsValue, text: &JsValue, options: JsValue) -> Result<FileInput, JsValue> {
    let path = string_arg(path, "path")?;
    let text = string_arg(text, "text")?;
    let options: AnalyzeOptions = options_arg(options, "options")?;
    let dialect = options.dialect.map(|name| name.parse()).transpose().map_err(to_js_error)?;
    let schema = schema_arg(options.schema)?;
    let language = options.language.or_else(|| Language::detect(&path, &text)).unwrap_or(Language::Sql);
    Ok(FileInput { path, text, language, dialect, schema })
}

/// Column-level analysis of one consumer file (SQL, dbt model, or Python,
/// Java or Scala code with SQL inside): what each statement reads and writes,
/// every reference located, and diagnostics for what could not be read.
#[wasm_bindgen(unchecked_return_type = "FileAnalysis")]
pub fn analyze(
    #[wasm_bindgen(unchecked_param_type = "string")] path: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string")] text: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "AnalyzeOptions")] options: JsValue,
) -> Result<JsValue, JsValue> {
    let file = file_input(&path, &text, options)?;
    let options = Options { dialect: file.dialect.unwrap_or(Dialect::Generic), schema: file.schema.as_ref() };
    to_js(&*analyze_and_keep(&file, options))
}

/// A file given by its path and text.
#[derive(Deserialize, Tsify)]
#[serde(deny_unknown_fields)]
pub struct SourceFile {
    pub path: String,
    pub text: String,
}

/// A list of files (`[{path, text}]`); a wrong one is named by its index.
fn files_arg(value: &JsValue) -> Result<Vec<SourceFile>, JsValue> {
    if !js_sys::Array::is_array(value) {
        return Err(to_js_error(BindingError::InvalidArgument { argument: "files".into(), message: "expected an array of {path, text}".into() }));
    }
    json_arg(value, "files")
}

/// The warning that no file of a consumer names the change's `dataset` (as
/// a table, a `ref()` or a `source()`), with the closest names they use;
/// `undefined` when one does. `files` are analysed as `analyze` does (and
/// the analyses it keeps are reused); files of no known language are left
/// out.
#[wasm_bindgen(js_name = unmatchedDataset, unchecked_return_type = "UnmatchedDataset | undefined")]
pub fn unmatched_dataset(
    #[wasm_bindgen(unchecked_param_type = "string")] dataset: JsValue,
    #[wasm_bindgen(unchecked_param_type = "SourceFile[]")] files: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "AnalyzeOptions")] options: JsValue,
) -> Result<JsValue, JsValue> {
    let dataset = string_arg(&dataset, "dataset")?;
    let files = files_arg(&files)?;
    let options: AnalyzeOptions = options_arg(options, "options")?;
    let dialect = options.dialect.map(|name| name.parse()).transpose().map_err(to_js_error)?;
    let schema = schema_arg(options.schema)?;
    let mut analyses = Vec::with_capacity(files.len());
    for file in files {
        let Some(language) = options.language.or_else(|| Language::detect(&file.path, &file.text)) else {
            continue;
        };
        // The schema is read once, above, and lent through `options`: not cloned per file.
        let input = FileInput { path: file.path, text: file.text, language, dialect, schema: None };
        let options = Options { dialect: dialect.unwrap_or(Dialect::Generic), schema: schema.as_ref() };
        let analysis = analyses::recall(&cache_input(&input, &options)).unwrap_or_else(|| analyze_and_keep(&input, options));
        analyses.push((analysis, input.text));
    }
    let pairs: Vec<(&FileAnalysis, &str)> = analyses.iter().map(|(a, t)| (&**a, t.as_str())).collect();
    match ripple_engine::rewrite::unmatched_dataset(&dataset, &pairs) {
        Some(warning) => to_js(&warning),
        None => Ok(JsValue::UNDEFINED),
    }
}

/// The smallest verified edit of one consumer file for a change to a dataset:
/// its status (`rewritten`, `unaffected`, `needs_edit`, `error`), the
/// findings the status is about (kind, severity, place, message), the
/// unified diff and the rewritten text. `change` is a change
/// spec, as an object or its JSON text.
#[wasm_bindgen(unchecked_return_type = "FileRewrite")]
pub fn rewrite(
    #[wasm_bindgen(unchecked_param_type = "string")] path: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string")] text: JsValue,
    #[wasm_bindgen(unchecked_param_type = "ChangeSpec | string")] change: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "RewriteOptions")] options: JsValue,
) -> Result<JsValue, JsValue> {
    let file = file_input(&path, &text, options)?;
    // Through JSON text, so errors name the field at fault (`changes[1].to`);
    // its SQL is checked in the dialect the file is written in.
    let spec = ChangeSpec::from_json_in(&json_text(&change)?.unwrap_or_default(), file.dialect).map_err(to_js_error)?;
    let dialect = file.dialect.or(spec.dialect).unwrap_or(Dialect::Generic);
    let options = Options { dialect, schema: file.schema.as_ref() };
    let analysis = analyses::recall(&cache_input(&file, &options)).unwrap_or_else(|| analyze_and_keep(&file, options));
    to_js(&ripple_engine::rewrite_analyzed(&analysis, file.language, &file.text, &spec, options))
}

/// Analyses a file and keeps the analysis for the `rewrite`s after it.
fn analyze_and_keep(file: &FileInput, options: Options) -> Rc<FileAnalysis> {
    let analysis = Rc::new(ripple_engine::analyze(&file.path, file.language, &file.text, options));
    analyses::remember(&cache_input(file, &options), analysis.clone());
    analysis
}

/// The input of the analyses cache (`analyses.rs`).
fn cache_input<'a>(file: &'a FileInput, options: &Options<'a>) -> analyses::Input<'a> {
    analyses::Input { path: &file.path, text: &file.text, language: file.language, dialect: options.dialect, schema: options.schema }
}

/// Schedules a fresh instance before the next call; the entry points call it
/// after a WebAssembly trap. Not part of the typed API.
#[wasm_bindgen(js_name = "__rippleReload", skip_typescript)]
pub fn reload() {
    panic::schedule_reload();
}

/// The instance's memory, for `packages/engine/bench/stack.js` to measure how
/// much of the stack the engine uses. Not part of the typed API.
#[wasm_bindgen(js_name = "__rippleMemory", skip_typescript)]
pub fn memory() -> JsValue {
    wasm_bindgen::memory()
}

/// Fails on purpose, so the tests can prove how failures reach JS: `"panic"`
/// panics, anything else traps as an abort would. Not part of the typed API.
#[wasm_bindgen(js_name = "__rippleFail", skip_typescript)]
pub fn fail(how: JsValue) {
    if how.as_string().as_deref() == Some("panic") {
        panic!("deliberate panic to test the panic hook");
    }
    std::process::abort();
}
