use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sqlparser::dialect as sql;

use crate::EngineError;

/// A SQL dialect, selected by name (`"bigquery"`, `"postgres"`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum Dialect {
    Ansi,
    BigQuery,
    Databricks,
    DuckDb,
    Generic,
    Hive,
    MySql,
    Postgres,
    Redshift,
    Snowflake,
    Spark,
}

impl Dialect {
    /// Every dialect, in the order help texts list them.
    pub const ALL: [Dialect; 11] = [
        Dialect::Ansi,
        Dialect::BigQuery,
        Dialect::Databricks,
        Dialect::DuckDb,
        Dialect::Generic,
        Dialect::Hive,
        Dialect::MySql,
        Dialect::Postgres,
        Dialect::Redshift,
        Dialect::Snowflake,
        Dialect::Spark,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Dialect::Ansi => "ansi",
            Dialect::BigQuery => "bigquery",
            Dialect::Databricks => "databricks",
            Dialect::DuckDb => "duckdb",
            Dialect::Generic => "generic",
            Dialect::Hive => "hive",
            Dialect::MySql => "mysql",
            Dialect::Postgres => "postgres",
            Dialect::Redshift => "redshift",
            Dialect::Snowflake => "snowflake",
            Dialect::Spark => "spark",
        }
    }

    /// The character that quotes an identifier.
    pub fn identifier_quote(self) -> char {
        match self {
            Dialect::BigQuery | Dialect::Databricks | Dialect::Hive | Dialect::MySql | Dialect::Spark => '`',
            _ => '"',
        }
    }

    /// The `sqlparser` dialect that parses this one. Spark SQL has no dialect
    /// of its own in `sqlparser`; Databricks is Spark SQL plus extensions.
    pub fn parser_dialect(self) -> Box<dyn sql::Dialect> {
        match self {
            Dialect::Ansi => Box::new(sql::AnsiDialect {}),
            Dialect::BigQuery => Box::new(sql::BigQueryDialect {}),
            Dialect::Databricks | Dialect::Spark => Box::new(sql::DatabricksDialect {}),
            Dialect::DuckDb => Box::new(sql::DuckDbDialect {}),
            Dialect::Generic => Box::new(sql::GenericDialect {}),
            Dialect::Hive => Box::new(sql::HiveDialect {}),
            Dialect::MySql => Box::new(sql::MySqlDialect {}),
            Dialect::Postgres => Box::new(sql::PostgreSqlDialect {}),
            Dialect::Redshift => Box::new(sql::RedshiftSqlDialect {}),
            Dialect::Snowflake => Box::new(sql::SnowflakeDialect {}),
        }
    }
}

/// A clause of a SELECT where a name may be one of its output aliases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AliasClause {
    /// Later items of the SELECT list (lateral column aliases).
    SelectList,
    Where,
    GroupBy,
    Having,
    Qualify,
    /// ORDER BY, and Hive's SORT BY, CLUSTER BY and DISTRIBUTE BY.
    OrderBy,
    /// A named window's definition (`WINDOW w AS (...)`).
    Window,
}

/// What a name means in a clause where an output alias of that name is
/// visible and a column of the FROM may share it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AliasRule {
    /// Only the FROM's columns are names here; the alias is not.
    Hidden,
    /// The FROM's column when there is one, else the alias.
    ColumnFirst,
    /// The alias.
    AliasFirst,
    /// The vendor's documentation does not say: a name both could mean is
    /// left for a person.
    Unclear,
}

impl Dialect {
    /// Which a name means where an output alias and a FROM column share
    /// it, in `clause`; `bare` when the name is the whole GROUP BY or ORDER
    /// BY item. Each rule is cited in docs/engine.md ("Names and output
    /// aliases"); a dialect whose documentation is silent says `Unclear`.
    pub fn alias_rule(self, clause: AliasClause, bare: bool) -> AliasRule {
        use AliasClause::*;
        use AliasRule::*;
        match (self, clause) {
            (Dialect::Ansi, OrderBy) if bare => AliasFirst,
            (Dialect::Ansi, OrderBy) => Unclear,
            (Dialect::Ansi, _) => Hidden,
            (Dialect::Postgres, GroupBy) if bare => ColumnFirst,
            (Dialect::Postgres, OrderBy) if bare => AliasFirst,
            (Dialect::Postgres, _) => Hidden,
            (Dialect::MySql, SelectList | Where) => Hidden,
            (Dialect::MySql, GroupBy) => ColumnFirst,
            (Dialect::MySql, OrderBy) => AliasFirst,
            // Checked by running DuckDB (undocumented): the FROM's column
            // wins everywhere but in a bare ORDER BY name.
            (Dialect::DuckDb, OrderBy) if bare => AliasFirst,
            (Dialect::DuckDb, SelectList | Where | GroupBy | Having | Qualify | OrderBy) => ColumnFirst,
            (Dialect::Spark, SelectList | GroupBy) => ColumnFirst,
            (Dialect::Spark, OrderBy) if bare => AliasFirst,
            (Dialect::Spark | Dialect::Databricks, Where) => Hidden,
            (Dialect::Databricks | Dialect::Redshift, SelectList) => ColumnFirst,
            (Dialect::BigQuery, SelectList | Where) => Hidden,
            // A name both could mean is an error there: in a query that
            // runs, a name that is an alias is the alias.
            (Dialect::BigQuery, Having | OrderBy) => AliasFirst,
            (Dialect::Snowflake, GroupBy) => ColumnFirst,
            _ => Unclear,
        }
    }
}

/// How a dialect names an unaliased SELECT item that is not a bare column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpressionNames {
    /// A generated name (BigQuery's `f0_`, Hive's `_c0`): no column's name.
    Generated,
    /// A function's name, or through casts and subscripts the operand
    /// column's name (PostgreSQL's `FigureColname`).
    OperandName,
    /// The expression as the engine prints it (DuckDB).
    Rendered,
    /// From the text, in a way Ripple does not reproduce: a rename inside
    /// such an item is left for a person.
    Unknown,
}

impl Dialect {
    /// How this dialect names unaliased expressions; cited in docs/engine.md
    /// ("Names and output aliases").
    pub fn expression_names(self) -> ExpressionNames {
        match self {
            Dialect::BigQuery | Dialect::Hive => ExpressionNames::Generated,
            Dialect::Postgres => ExpressionNames::OperandName,
            Dialect::DuckDb => ExpressionNames::Rendered,
            // MySQL's, Redshift's and Snowflake's naming is not documented;
            // Spark's printing changed between versions.
            Dialect::Ansi | Dialect::Databricks | Dialect::Generic | Dialect::MySql | Dialect::Redshift | Dialect::Snowflake | Dialect::Spark => ExpressionNames::Unknown,
        }
    }
}

/// How a dialect reads a struct field, or what stands for one, after a
/// column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FieldAccess {
    /// `t.c.f`: BigQuery, DuckDB, Spark, Databricks and Hive structs,
    /// Redshift's SUPER.
    Dot,
    /// `(t.c).f`: a PostgreSQL composite value, whose dotted name would read
    /// as schema, table and column.
    Composite,
    /// `t.c:f`: a Snowflake VARIANT or OBJECT. The value is a VARIANT, so it
    /// is cast back to the field's type where that is known.
    Variant,
    /// `t.c->>'$.f'`: MySQL has no structs; nested data is JSON.
    Json,
}

/// How a dialect replaces a view that may already exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReplaceView {
    /// `CREATE OR REPLACE VIEW`.
    OrReplace,
    /// `DROP VIEW IF EXISTS` then `CREATE VIEW`: Hive has no OR REPLACE,
    /// nor views that others depend on.
    DropFirst,
    /// Only `CREATE VIEW`: standard SQL has no OR REPLACE.
    Never,
}

impl Dialect {
    /// `name` as a quoted identifier, a quote inside it escaped.
    pub(crate) fn quote(self, name: &str) -> String {
        match self {
            // BigQuery escapes inside backquotes as in string literals.
            Dialect::BigQuery => format!("`{}`", name.replace('\\', "\\\\").replace('`', "\\`")),
            _ => {
                let q = self.identifier_quote();
                format!("{q}{}{q}", name.replace(q, &format!("{q}{q}")))
            }
        }
    }

    /// Why `name`, quoted, would not read back as `name`, when it would not.
    pub(crate) fn unquotable(self, name: &str) -> Option<&'static str> {
        match self {
            Dialect::BigQuery if name.contains('`') => Some(
                "BigQuery escapes a backquote inside a quoted name with a backslash, which sqlparser does not read \
                 (and no BigQuery project, dataset or table name can hold one)",
            ),
            _ => None,
        }
    }

    /// An unquoted name as the dialect stores it: PostgreSQL and Redshift
    /// fold it to lowercase, Snowflake and standard SQL to uppercase, and
    /// the others keep it as written.
    pub(crate) fn fold(self, name: &str) -> String {
        match self {
            Dialect::Postgres | Dialect::Redshift => name.to_lowercase(),
            Dialect::Snowflake | Dialect::Ansi => name.to_uppercase(),
            Dialect::BigQuery | Dialect::Databricks | Dialect::DuckDb | Dialect::Generic | Dialect::Hive | Dialect::MySql | Dialect::Spark => name.to_string(),
        }
    }

    /// The keyword that selects `*` without some columns (`* EXCEPT (a)`,
    /// `* EXCLUDE (a)`), where the dialect has one.
    pub(crate) fn star_except(self) -> Option<&'static str> {
        match self {
            Dialect::BigQuery | Dialect::Databricks | Dialect::Spark => Some("EXCEPT"),
            Dialect::Snowflake | Dialect::DuckDb => Some("EXCLUDE"),
            Dialect::Ansi | Dialect::Generic | Dialect::Hive | Dialect::MySql | Dialect::Postgres | Dialect::Redshift => None,
        }
    }

    /// How a struct field after a column is read.
    pub(crate) fn field_access(self) -> FieldAccess {
        match self {
            Dialect::Postgres => FieldAccess::Composite,
            Dialect::Snowflake => FieldAccess::Variant,
            Dialect::MySql => FieldAccess::Json,
            Dialect::Ansi | Dialect::BigQuery | Dialect::Databricks | Dialect::DuckDb | Dialect::Generic | Dialect::Hive | Dialect::Redshift | Dialect::Spark => FieldAccess::Dot,
        }
    }

    /// How a view that may exist is replaced.
    pub(crate) fn replace_view(self) -> ReplaceView {
        match self {
            Dialect::Ansi => ReplaceView::Never,
            Dialect::Hive => ReplaceView::DropFirst,
            _ => ReplaceView::OrReplace,
        }
    }

    /// Whether `$1`, `$2`, ... name the FROM's columns by position
    /// (Snowflake), rather than being parameters.
    pub(crate) fn positional_columns(self) -> bool {
        self == Dialect::Snowflake
    }

    /// Whether a struct field after a column can be written as a dotted
    /// path (`customer.id`). Not in PostgreSQL and Redshift, where `a.b.c`
    /// names a schema, a table and a column, and a field is `(a.b).c`.
    pub(crate) fn dotted_field_path(self) -> bool {
        !matches!(self, Dialect::Postgres | Dialect::Redshift)
    }

    /// Whether queries may use pipe syntax (`FROM t |> WHERE ...`): the
    /// dialects whose parser reads `|>`, and only those, since its tokenizer
    /// makes the `|>` token for them alone.
    pub(crate) fn pipe_syntax(self) -> bool {
        matches!(self, Dialect::BigQuery | Dialect::Databricks | Dialect::Generic | Dialect::Spark)
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Dialect {
    type Err = EngineError;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        let wanted = name.trim().to_ascii_lowercase();
        let alias = match wanted.as_str() {
            "postgresql" => "postgres",
            "sparksql" => "spark",
            other => other,
        };
        Dialect::ALL.into_iter().find(|d| d.name() == alias).ok_or_else(|| EngineError::UnknownDialect { dialect: name.to_string(), expected: Dialect::ALL.map(Dialect::name).join(", ") })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pipe_syntax_is_where_the_parser_reads_it() {
        for dialect in Dialect::ALL {
            assert_eq!(dialect.pipe_syntax(), dialect.parser_dialect().supports_pipe_operator(), "{dialect}");
        }
    }
}
