//! The change spec on its own: `check-change`, `schema` and `compat-view`.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use ripple_engine::{ChangeProblem, ChangeSpec, Dialect, FindingKind, FindingSeverity};
use serde::Serialize;

use crate::files::{print_json, read, read_change, read_schema};
use crate::Usage;

#[derive(Serialize)]
struct CheckOutput {
    problems: Vec<ChangeProblem>,
}

pub(crate) fn check_change(change: &Path, dialect: Option<Dialect>) -> Result<ExitCode, Usage> {
    let problems = ripple_engine::check_change(&read(change)?, dialect);
    for problem in &problems {
        let field = problem.field.as_ref().map(|f| format!("{f}: ")).unwrap_or_default();
        eprintln!("{}: {field}{}", change.display(), problem.message);
    }
    let failed = !problems.is_empty();
    print_json(&CheckOutput { problems })?;
    Ok(if failed { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

pub(crate) fn schema() -> Result<ExitCode, Usage> {
    let mut settings = schemars::gen::SchemaSettings::openapi3();
    // An absent field is how the spec leaves one out; `nullable` without a
    // `type` (an optional `$ref`) is also refused by the backend's validator.
    settings.option_nullable = false;
    let mut components = serde_json::Map::new();
    let mut root = |name: &str, root: schemars::schema::RootSchema| {
        let mut schema = serde_json::to_value(&root.schema).expect("a schema always serializes");
        // The root's title is the type's name, which its key says already.
        if let Some(object) = schema.as_object_mut() {
            object.remove("title");
        }
        components.insert(name.into(), schema);
        for (name, definition) in root.definitions {
            components.insert(name, serde_json::to_value(definition).expect("a schema always serializes"));
        }
    };
    root("ChangeSpec", settings.clone().into_generator().into_root_schema_for::<ChangeSpec>());
    root("FindingKind", settings.clone().into_generator().into_root_schema_for::<FindingKind>());
    root("FindingSeverity", settings.into_generator().into_root_schema_for::<FindingSeverity>());
    components.values_mut().for_each(one_enum);
    let mut components = serde_json::Value::Object(components);
    without_defaults(&mut components);
    print_json(&components)?;
    Ok(ExitCode::SUCCESS)
}

/// A string enum whose values carry doc comments comes out of schemars as a
/// `oneOf` of one-value enums; code generators make a type per value of it.
/// It becomes one `enum`, each value's description listed in the schema's.
fn one_enum(schema: &mut serde_json::Value) {
    let Some(variants) = schema.get("oneOf").and_then(|v| v.as_array()) else {
        return;
    };
    let value = |v: &serde_json::Value| match (v["type"].as_str(), v["enum"].as_array().map(Vec::as_slice)) {
        (Some("string"), Some([serde_json::Value::String(name)])) => Some((name.clone(), v["description"].as_str().unwrap_or_default().to_string())),
        _ => None,
    };
    let Some(values) = variants.iter().map(value).collect::<Option<Vec<_>>>() else {
        return;
    };
    let mut description = schema["description"].as_str().unwrap_or_default().to_string();
    description.push('\n');
    for (name, about) in &values {
        description.push_str(&format!("\n- `{name}`: {about}"));
    }
    *schema = serde_json::json!({
        "description": description,
        "enum": values.iter().map(|(name, _)| name.as_str()).collect::<Vec<_>>(),
        "type": "string",
    });
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

pub(crate) fn compat_view(change: &Path, dialect: Option<Dialect>, schema: Option<&Path>, cleanup: bool) -> Result<ExitCode, Usage> {
    let spec = read_change(change, dialect)?;
    let schema = schema.map(read_schema).transpose()?;
    let dialect = dialect.or(spec.dialect).unwrap_or(Dialect::Generic);
    let view = ripple_engine::compat_view(&spec, dialect, schema.as_ref()).map_err(|e| Usage(e.to_string()))?;
    print_ddl(if cleanup { view.cleanup } else { view.create })
}

pub(crate) fn forward_view(change: &Path, view: &str, dialect: Option<Dialect>, schema: Option<&Path>, cleanup: bool) -> Result<ExitCode, Usage> {
    let spec = read_change(change, dialect)?;
    let schema = schema.map(read_schema).transpose()?;
    let dialect = dialect.or(spec.dialect).unwrap_or(Dialect::Generic);
    let view = ripple_engine::forward_view(&spec, dialect, schema.as_ref(), view).map_err(|e| Usage(e.to_string()))?;
    print_ddl(if cleanup { view.cleanup } else { view.create })
}

fn print_ddl(ddl: String) -> Result<ExitCode, Usage> {
    writeln!(std::io::stdout().lock(), "{ddl}").map_err(|e| Usage(format!("cannot write output: {e}")))?;
    Ok(ExitCode::SUCCESS)
}
