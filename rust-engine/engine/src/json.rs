//! Reading the engine's JSON inputs (change specs, schemas) with errors that
//! say where: the field's path for a wrong value, line and column for
//! malformed JSON.

use serde::de::DeserializeOwned;

/// What went wrong and, when one field is at fault, its path (`changes[1].to`).
pub(crate) struct JsonError {
    pub field: Option<String>,
    pub message: String,
}

pub(crate) fn read<T: DeserializeOwned>(json: &str) -> Result<T, JsonError> {
    let mut deserializer = serde_json::Deserializer::from_str(json);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let message = strip_location(&inner.to_string());
        if inner.is_syntax() || inner.is_eof() {
            let message = format!("{message} at line {}, column {}", inner.line(), inner.column());
            JsonError { field: None, message }
        } else {
            JsonError { field: (path != ".").then_some(path), message }
        }
    })?;
    deserializer.end().map_err(|e| JsonError { field: None, message: format!("{} at line {}, column {}", strip_location(&e.to_string()), e.line(), e.column()) })?;
    Ok(value)
}

/// serde_json appends " at line L column C"; positions are stated once, our way.
fn strip_location(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}
