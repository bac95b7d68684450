//! Binding sample values to a statement's bind parameters.

use wasm_bindgen::prelude::*;

use crate::boundary::{dialect_arg, json_arg, string_arg, to_js_error, BindingError};

/// `sql` with each bind parameter (`?`, `$1`, `:day`, `@day`, `%s`,
/// `%(day)s`, as `analyze` lists them) replaced by a literal of `dialect`
/// for its sample value: `values` is an array for parameters bound by
/// position (`?` and `%s` in order, `$1` the first) or an object for named
/// ones (`:day` takes `values.day`). Strings are quoted and escaped as the
/// dialect reads them, numbers, booleans and null written as literals;
/// dates are strings. Throws `bind_parameter` naming the placeholder, its
/// line and column when a value is missing or not a scalar, and `syntax`
/// when `sql` does not parse.
#[wasm_bindgen(js_name = bindParameters)]
pub fn bind_parameters(
    #[wasm_bindgen(unchecked_param_type = "string")] sql: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Dialect")] dialect: JsValue,
    #[wasm_bindgen(unchecked_param_type = "unknown[] | Record<string, unknown>")] values: JsValue,
) -> Result<String, JsValue> {
    let sql = string_arg(&sql, "sql")?;
    let dialect = dialect_arg(&dialect, "dialect")?;
    if values.is_null() || !values.is_object() {
        return Err(to_js_error(BindingError::InvalidArgument { argument: "values".into(), message: "expected an array or an object".into() }));
    }
    let values: serde_json::Value = json_arg(&values, "values")?;
    ripple_engine::bind_parameters(&sql, dialect, &values).map_err(to_js_error)
}
