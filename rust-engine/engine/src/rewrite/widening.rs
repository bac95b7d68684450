//! Retypes that only widen a column: every value it held it still holds,
//! and it compares, joins and computes to the same values. A consumer that
//! computes with such a column needs no edit.
//!
//! Three families qualify, each checked by running the rewritten TPC-H and
//! TPC-DS queries against the original on DuckDB (`packages/engine/test/
//! executed-rewrites.test.js`): integers to a wider integer, `VARCHAR(n)`
//! to a longer or unbounded string, and decimals to a greater precision
//! with the same scale. A decimal's scale may not change: results take
//! their scale from the operands' (Snowflake rounds a quotient to a scale
//! derived from the dividend's). Floats do not qualify: `REAL` arithmetic
//! rounds differently from `DOUBLE`'s. Nor do integers to decimals:
//! PostgreSQL's `/` divides integers and decimals differently.

use crate::{ChangeSpec, ColumnFate, Schema};

/// The changed columns of `spec`'s dataset whose retype only widens them,
/// lowercase; their old types come from `schema`.
pub(crate) fn widened_columns(spec: &ChangeSpec, schema: Option<&Schema>) -> Vec<String> {
    let Some(columns) = schema.and_then(|s| s.columns(&spec.dataset)) else {
        return Vec::new();
    };
    columns
        .iter()
        .filter(|c| match (spec.column_fate(&c.name), &c.data_type) {
            (ColumnFate::Retyped(to), Some(from)) => widens(from, to),
            _ => false,
        })
        .map(|c| c.name.to_ascii_lowercase())
        .collect()
}

/// True when every value of type `from` is a value of type `to`, and
/// computes the same.
pub(crate) fn widens(from: &str, to: &str) -> bool {
    let (from, to) = (normal(from), normal(to));
    if let (Some(a), Some(b)) = (integer_rank(&from), integer_rank(&to)) {
        return a <= b;
    }
    if let (Some((p, s)), Some((p2, s2))) = (decimal(&from), decimal(&to)) {
        return s == s2 && p <= p2;
    }
    match (string_length(&from), string_length(&to)) {
        (Some(Some(a)), Some(b)) => b.is_none_or(|b| a <= b),
        (Some(None), Some(None)) => true,
        _ => false,
    }
}

fn normal(name: &str) -> String {
    name.split_whitespace().collect::<Vec<_>>().join(" ").to_ascii_uppercase()
}

/// Integer types by width; the names of every supported dialect.
fn integer_rank(name: &str) -> Option<u8> {
    Some(match name {
        "TINYINT" | "INT1" | "BYTEINT" => 1,
        "SMALLINT" | "INT2" => 2,
        "MEDIUMINT" => 3,
        "INT" | "INTEGER" | "INT4" => 4,
        // BigQuery's INT64 (and its aliases) and Snowflake's NUMBER(38, 0)
        // integers are one 64-bit type.
        "BIGINT" | "INT8" | "INT64" => 5,
        "HUGEINT" | "INT128" => 6,
        _ => return None,
    })
}

/// The precision and scale of `DECIMAL(p, s)` or `NUMERIC(p, s)` (BigQuery's
/// and Snowflake's `NUMBER` too), written with both.
fn decimal(name: &str) -> Option<(u32, u32)> {
    let (base, rest) = name.split_once('(')?;
    if !matches!(base.trim(), "DECIMAL" | "NUMERIC" | "NUMBER" | "BIGNUMERIC" | "BIGDECIMAL") {
        return None;
    }
    let (p, s) = rest.strip_suffix(')')?.split_once(',')?;
    Some((p.trim().parse().ok()?, s.trim().parse().ok()?))
}

/// `Some(Some(n))` for a string type bounded to `n` characters,
/// `Some(None)` for an unbounded one, `None` for another type. `CHAR(n)`
/// pads, so it is neither.
fn string_length(name: &str) -> Option<Option<u64>> {
    if ["VARCHAR", "TEXT", "STRING", "CHARACTER VARYING"].contains(&name) {
        return Some(None);
    }
    let (base, rest) = name.split_once('(')?;
    let length = rest.strip_suffix(')')?.trim().parse().ok()?;
    matches!(base.trim(), "VARCHAR" | "STRING" | "CHARACTER VARYING").then_some(Some(length))
}

#[cfg(test)]
mod tests {
    use super::widens;

    #[test]
    fn integers_strings_and_decimals_of_one_scale_widen_and_nothing_else_does() {
        assert!(widens("INTEGER", "BIGINT"));
        assert!(widens("int", "int8"));
        assert!(widens("SMALLINT", "INT"));
        assert!(!widens("BIGINT", "INTEGER"));
        assert!(widens("VARCHAR(10)", "VARCHAR(25)"));
        assert!(widens("varchar(10)", "TEXT"));
        assert!(widens("STRING", "VARCHAR"));
        assert!(!widens("VARCHAR(25)", "VARCHAR(10)"));
        assert!(!widens("VARCHAR", "VARCHAR(10)"));
        assert!(!widens("CHAR(10)", "CHAR(20)"));
        assert!(widens("DECIMAL(15,2)", "DECIMAL(18, 2)"));
        assert!(widens("numeric(10,2)", "NUMBER(38,2)"));
        assert!(!widens("DECIMAL(15,2)", "DECIMAL(18,4)"));
        assert!(!widens("DECIMAL(18,2)", "DECIMAL(15,2)"));
        assert!(!widens("REAL", "DOUBLE"));
        assert!(!widens("INTEGER", "DECIMAL(20,0)"));
        assert!(!widens("INTEGER", "VARCHAR"));
    }
}
