//! What a rewrite tells a person about a file, as data (after ruff's
//! `Violation`): a kind callers can filter on, a severity, the place in the
//! file, and a message for people. Callers place and count findings from
//! their fields; the text `line N, column M: message` is only ever written
//! from them (`Display`).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::Location;

/// What a finding is about. One word per idea: the kinds are the reasons the
/// rewrite gives, and a new reason gets a new kind rather than a message
/// that callers would have to parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum FindingKind {
    /// A column the change drops is still read or written (or output by a `*`).
    DroppedColumnUsed,
    /// A column whose type changes is compared, joined or computed with
    /// (`needs_edit`), or only read or output (a `note`).
    RetypedColumnUsed,
    /// A changed column's name could come from several tables.
    AmbiguousName,
    /// A changed column's name could be traced to no table.
    UnresolvedName,
    /// A statement that does not parse mentions the dataset or a changed column.
    UnparsedStatement,
    /// A renamed or mapped column joins two tables by name (`USING`).
    UsingJoin,
    /// A `NATURAL JOIN`, which joins on every name its sides share, in a
    /// statement that reads a column the change renames or drops.
    NaturalJoin,
    /// The dataset is named in a template branch that was not rendered.
    TemplateBranch,
    /// SQL whose table is computed at run time names the dataset or a changed column.
    PlaceholderTable,
    /// A dbt source's table moves to another schema, which `sources.yml` must declare.
    DbtSourceMove,
    /// Snowflake's positional `$2` reads a column of a table the change
    /// drops a column of: the positions after it move.
    PositionalColumn,
    /// A statement reads the dataset's columns, but the table's name in it
    /// cannot be found to rename it.
    UnnamedTable,
    /// A table or column name is written in a way Ripple cannot edit.
    UneditableName,
    /// A column becomes a struct field whose path cannot be written here
    /// (a quoted name, or a PostgreSQL composite value).
    FieldPath,
    /// A column mapped to an expression is used where no expression can go
    /// (written, its fields taken, or a CTE's column whose uses must follow).
    MappedColumnUse,
    /// An unaliased select item whose output column is named after its text,
    /// which the change edits, in a dialect whose naming Ripple cannot
    /// reproduce as an alias.
    UnaliasedOutput,
    /// A mapping of the change spec does not read as SQL of the dialect.
    UnreadableMapping,
    /// A `*` outputs a renamed column, and the dataset's columns are unknown
    /// (no schema), so it cannot be expanded to keep the old name.
    StarWithoutSchema,
    /// A `*` with `EXCEPT`, `REPLACE` and the like outputs a renamed column.
    StarWithModifiers,
    /// A `*` over several tables outputs a renamed column.
    StarOverTables,
    /// A `*` outputs a renamed column through a `PIVOT` or `UNPIVOT`, which
    /// passes it on under its new name.
    StarThroughPivot,
    /// Output column names are kept (`new AS old`), since the rewrite with
    /// new names did not verify.
    OutputNamesKept,
    /// The rewritten file did not verify; no edit is proposed.
    VerificationFailed,
    /// Two edits of the rewrite overlap: a defect of Ripple's, so nothing is
    /// proposed.
    OverlappingEdits,
    /// The change spec cannot be applied in the consumer's dialect.
    InvalidChange,
    /// The file is over the engine's size limit.
    FileTooLarge,
    /// The entry of a dbt property file that defines the dataset (its model,
    /// seed or source table, or a unit test of the model itself): the
    /// producer's change, which the rewrite leaves as it is.
    ProducerEntry,
    /// A dbt property file that is not valid YAML.
    InvalidYaml,
}

/// How much a finding weighs; a file's status is its worst finding's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum FindingSeverity {
    /// Informational: the change affects the file there, and no edit is needed.
    Note,
    /// A person must edit the code there by hand; the rewrite does not.
    NeedsEdit,
    /// The file could not be rewritten at all.
    Error,
}

/// One thing the rewrite found in a file.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct Finding {
    pub kind: FindingKind,
    pub severity: FindingSeverity,
    /// Where the finding starts in the file (1-based line and column, the
    /// column in characters); absent when it is about the whole file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<Location>,
    /// Where it ends (exclusive); present exactly when `start` is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<Location>,
    /// What a person should know, without the place (in `start`).
    pub message: String,
}

impl Finding {
    /// A finding about the text from `start` to `end`.
    pub fn at(kind: FindingKind, severity: FindingSeverity, start: Location, end: Location, message: impl Into<String>) -> Self {
        Finding { kind, severity, start: Some(start), end: Some(end), message: message.into() }
    }

    /// A finding about the whole file.
    pub fn file(kind: FindingKind, severity: FindingSeverity, message: impl Into<String>) -> Self {
        Finding { kind, severity, start: None, end: None, message: message.into() }
    }
}

/// `line N, column M: message`, or the message alone for the whole file: the
/// text the CLI's report and the scaffolder's log show.
impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.start {
            Some(at) => write!(f, "line {}, column {}: {}", at.line, at.column, self.message),
            None => f.write_str(&self.message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_finding_is_written_with_its_place_and_serialized_with_its_fields() {
        let at = |line, column| Location { line, column };
        let finding = Finding::at(FindingKind::DroppedColumnUsed, FindingSeverity::NeedsEdit, at(3, 8), at(3, 14), "reads `legacy`");
        assert_eq!(finding.to_string(), "line 3, column 8: reads `legacy`");
        assert_eq!(
            serde_json::to_value(&finding).unwrap(),
            serde_json::json!({
                "kind": "dropped_column_used",
                "severity": "needs_edit",
                "start": {"line": 3, "column": 8},
                "end": {"line": 3, "column": 14},
                "message": "reads `legacy`"
            })
        );
        let whole = Finding::file(FindingKind::FileTooLarge, FindingSeverity::Error, "too large");
        assert_eq!(whole.to_string(), "too large");
        assert_eq!(serde_json::to_value(&whole).unwrap(), serde_json::json!({"kind": "file_too_large", "severity": "error", "message": "too large"}));
    }
}
