//! Names, types and expressions as one dialect writes them in a view's DDL.

use crate::dialect::FieldAccess;
use crate::{Dialect, EngineError};

/// Identifier spelling in one dialect.
pub(crate) struct Sql {
    pub dialect: Dialect,
}

impl Sql {
    /// A mapping's expression, written from its parsed form. The spec was
    /// checked in this dialect, so this fails only for a spec changed since.
    pub(crate) fn expression(&self, text: &str) -> Result<String, EngineError> {
        // In parentheses unless one call or name (`spec_sql::spelled`).
        crate::spec_sql::expression(text, self.dialect)
            .map(|expr| crate::spec_sql::spelled(&expr))
            .map_err(|why| EngineError::InvalidChange { field: None, message: format!("the mapping `{text}` {why}") })
    }

    /// A multi-part name, quoted part by part.
    pub(crate) fn name(&self, name: &str) -> String {
        name.split('.').map(|part| self.ident(part)).collect::<Vec<_>>().join(".")
    }

    /// One identifier, quoted only when it must be: when it is not a plain
    /// word or is a reserved word. Plain words are written unquoted because
    /// names are matched case-insensitively, as consumers write them; quoting
    /// a reserved word spells it the way the dialect folds unquoted names, so
    /// it still names the same column (`"ORDER"` in Snowflake).
    pub(crate) fn ident(&self, name: &str) -> String {
        // Quoted too, like a reserved word: a word the dialect cannot start
        // a name with (`_ll` in ANSI SQL), and any word starting with `_`,
        // which `sqlparser` reads as part of a number after a `.`
        // (`(t.c)._x`). Both found by the `change` fuzz target.
        let starts = name.chars().next().is_some_and(|c| c != '_' && self.dialect.parser_dialect().is_identifier_start(c));
        let plain = is_plain(name);
        if plain && starts && !is_reserved(name) {
            return name.to_string();
        }
        let name = if plain { self.dialect.fold(name) } else { name.to_string() };
        self.dialect.quote(&name)
    }

    /// The struct field `path` (`customer.id`) of the table `qualifier`.
    pub(crate) fn path(&self, qualifier: &str, path: &str, old_type: Option<&str>) -> String {
        let mut parts = path.split('.');
        let column = self.ident(parts.next().unwrap_or(path));
        let fields: Vec<&str> = parts.collect();
        // Keys inside semi-structured values are case-sensitive: never folded,
        // quoted (as JSON strings) only when not plain.
        let key = |f: &str| {
            if is_plain(f) && !is_reserved(f) {
                f.to_string()
            } else {
                format!("\"{}\"", f.replace('\\', "\\\\").replace('"', "\\\""))
            }
        };
        match self.dialect.field_access() {
            FieldAccess::Composite => format!("({qualifier}.{column}).{}", self.dotted(&fields)),
            // The value is a VARIANT, so the old type is restored when known.
            FieldAccess::Variant => {
                let keys: Vec<String> = fields.iter().map(|f| key(f)).collect();
                let value = format!("{qualifier}.{column}:{}", keys.join("."));
                match old_type {
                    Some(old_type) => format!("CAST({value} AS {old_type})"),
                    None => value,
                }
            }
            FieldAccess::Json => {
                let json_path: String = fields.iter().map(|f| format!(".{}", key(f).replace('\'', "''"))).collect();
                format!("{qualifier}.{column}->>'${json_path}'")
            }
            FieldAccess::Dot => format!("{qualifier}.{column}.{}", self.dotted(&fields)),
        }
    }

    fn dotted(&self, fields: &[&str]) -> String {
        fields.iter().map(|f| self.ident(f)).collect::<Vec<_>>().join(".")
    }
}

pub(crate) fn is_plain(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_') && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Words reserved in at least one dialect (the union of ANSI, PostgreSQL,
/// BigQuery, MySQL, Snowflake and Spark's lists, sorted): quoting one where
/// it is not reserved is harmless, leaving it bare where it is is an error.
const RESERVED: &[&str] = &[
    "ACCOUNT",
    "ALL",
    "ALTER",
    "AND",
    "ANY",
    "ARRAY",
    "AS",
    "ASC",
    "ASSERT_ROWS_MODIFIED",
    "AT",
    "AUTHORIZATION",
    "BETWEEN",
    "BOTH",
    "BY",
    "CASE",
    "CAST",
    "CHECK",
    "COLLATE",
    "COLUMN",
    "CONNECT",
    "CONNECTION",
    "CONSTRAINT",
    "CONTAINS",
    "CREATE",
    "CROSS",
    "CUBE",
    "CURRENT",
    "CURRENT_DATE",
    "CURRENT_TIME",
    "CURRENT_TIMESTAMP",
    "CURRENT_USER",
    "DATABASE",
    "DEFAULT",
    "DEFINE",
    "DELETE",
    "DESC",
    "DISTINCT",
    "DIV",
    "DROP",
    "ELSE",
    "END",
    "ENUM",
    "ESCAPE",
    "EXCEPT",
    "EXCLUDE",
    "EXISTS",
    "EXTRACT",
    "FALSE",
    "FETCH",
    "FOLLOWING",
    "FOR",
    "FOREIGN",
    "FROM",
    "FULL",
    "GRANT",
    "GROUP",
    "GROUPING",
    "GROUPS",
    "GSCLUSTER",
    "HASH",
    "HAVING",
    "IF",
    "IGNORE",
    "ILIKE",
    "IN",
    "INCREMENT",
    "INDEX",
    "INNER",
    "INSERT",
    "INTERSECT",
    "INTERVAL",
    "INTO",
    "IS",
    "ISSUE",
    "JOIN",
    "KEY",
    "LATERAL",
    "LEADING",
    "LEFT",
    "LIKE",
    "LIMIT",
    "LOCALTIME",
    "LOCALTIMESTAMP",
    "LOOKUP",
    "MERGE",
    "MINUS",
    "MOD",
    "NATURAL",
    "NEW",
    "NO",
    "NOT",
    "NULL",
    "NULLS",
    "OF",
    "OFFSET",
    "ON",
    "ONLY",
    "OR",
    "ORDER",
    "ORGANIZATION",
    "OUTER",
    "OVER",
    "PARTITION",
    "PRECEDING",
    "PRIMARY",
    "PROTO",
    "QUALIFY",
    "RANGE",
    "RANK",
    "RECURSIVE",
    "REFERENCES",
    "REGEXP",
    "RESPECT",
    "REVOKE",
    "RIGHT",
    "RLIKE",
    "ROLLUP",
    "ROW",
    "ROWS",
    "SAMPLE",
    "SCHEMA",
    "SELECT",
    "SESSION_USER",
    "SET",
    "SOME",
    "START",
    "STRUCT",
    "TABLE",
    "TABLESAMPLE",
    "THEN",
    "TO",
    "TRAILING",
    "TREAT",
    "TRIGGER",
    "TRUE",
    "TRY_CAST",
    "UNBOUNDED",
    "UNION",
    "UNIQUE",
    "UNNEST",
    "UPDATE",
    "USER",
    "USING",
    "VALUES",
    "VIEW",
    "WHEN",
    "WHENEVER",
    "WHERE",
    "WINDOW",
    "WITH",
    "WITHIN",
    "XOR",
];

pub(crate) fn is_reserved(word: &str) -> bool {
    RESERVED.binary_search(&word.to_ascii_uppercase().as_str()).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_words_are_sorted_for_binary_search() {
        assert!(RESERVED.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn identifiers_are_quoted_only_when_needed() {
        let ident = |dialect, name| Sql { dialect }.ident(name);
        assert_eq!(ident(Dialect::Postgres, "amount_usd"), "amount_usd");
        assert_eq!(ident(Dialect::Postgres, "Order"), "\"order\"");
        assert_eq!(ident(Dialect::Snowflake, "order"), "\"ORDER\"");
        assert_eq!(ident(Dialect::DuckDb, "unit price"), "\"unit price\"");
        assert_eq!(ident(Dialect::Generic, "a\"b"), "\"a\"\"b\"");
        assert_eq!(ident(Dialect::MySql, "a`b"), "`a``b`");
        assert_eq!(ident(Dialect::BigQuery, "my-proj"), "`my-proj`");
        assert_eq!(ident(Dialect::BigQuery, "a`b"), "`a\\`b`");
        assert_eq!(Sql { dialect: Dialect::Spark }.name("lake.select.t"), "lake.`select`.t");
        assert_eq!(ident(Dialect::Ansi, "_ll"), "\"_LL\"");
        assert_eq!(ident(Dialect::BigQuery, "_ll"), "`_ll`");
        assert_eq!(Sql { dialect: Dialect::Postgres }.path("orders", "c._x", None), "(orders.c).\"_x\"");
    }
}
