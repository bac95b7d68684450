//! The impact of a change on one consumer: its verdict (breaking,
//! partially breaking, unaffected) and the reasons, each at its reference.

use ripple_engine::{ChangeSpec, Dialect, FileAnalysis, Language, Options};
use serde::Deserialize;
use tsify::Tsify;
use wasm_bindgen::prelude::*;

use crate::boundary::{options_arg, schema_arg, to_js, to_js_error};
use crate::{analyses, analyze_and_keep, cache_input, files_arg, json_text, FileInput};

/// What `classifyImpact` needs besides the files and the change. Every
/// field is optional.
#[derive(Default, Deserialize, Tsify)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct ClassifyImpactOptions {
    /// Every file's language; by default each file's own, as `analyze` chooses it.
    #[tsify(optional)]
    pub language: Option<Language>,
    /// The consumer's dialect; by default the change's, then `generic`.
    #[tsify(optional, type = "Dialect")]
    pub dialect: Option<String>,
    /// The columns of known tables (the dataset's, so that `*` expands), as
    /// an object or its JSON text.
    #[tsify(optional, type = "Schema | string")]
    pub schema: Option<serde_json::Value>,
    /// Other names the consumer's code gives the dataset's table: dbt
    /// sources (`shop.orders`) that `sources.yml` maps to it.
    #[tsify(optional)]
    pub table_names: Vec<String>,
}

/// The impact of `change` (a change spec, as an object or its JSON text)
/// on the consumer whose files `files` are: `breaking` when it reads a
/// column the change drops, renames or retypes, or the table it moves;
/// `partially_breaking` when it outputs the dataset through `*`; else
/// `unaffected`. Each reason has its kind, file and place. Files are
/// analysed as `analyze` does (the analyses it keeps are reused); files of
/// no known language are left out.
#[wasm_bindgen(js_name = classifyImpact, unchecked_return_type = "ConsumerImpact")]
pub fn classify_impact(
    #[wasm_bindgen(unchecked_param_type = "SourceFile[]")] files: JsValue,
    #[wasm_bindgen(unchecked_param_type = "ChangeSpec | string")] change: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "ClassifyImpactOptions")] options: JsValue,
) -> Result<JsValue, JsValue> {
    let files = files_arg(&files)?;
    let options: ClassifyImpactOptions = options_arg(options, "options")?;
    let dialect: Option<Dialect> = options.dialect.map(|name| name.parse()).transpose().map_err(to_js_error)?;
    let spec = ChangeSpec::from_json_in(&json_text(&change)?.unwrap_or_default(), dialect).map_err(to_js_error)?;
    let dialect = dialect.or(spec.dialect).unwrap_or(Dialect::Generic);
    let schema = schema_arg(options.schema)?;
    let mut kept = Vec::with_capacity(files.len());
    for file in files {
        let Some(language) = options.language.or_else(|| Language::detect(&file.path, &file.text)) else {
            continue;
        };
        let input = FileInput { path: file.path, text: file.text, language, dialect: Some(dialect), schema: None };
        let options = Options { dialect, schema: schema.as_ref() };
        kept.push(analyses::recall(&cache_input(&input, &options)).unwrap_or_else(|| analyze_and_keep(&input, options)));
    }
    let analyses: Vec<&FileAnalysis> = kept.iter().map(|a| &**a).collect();
    to_js(&ripple_engine::classify_impact(&analyses, &spec, &options.table_names))
}
