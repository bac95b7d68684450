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
        Dialect::ALL
            .into_iter()
            .find(|d| d.name() == alias)
            .ok_or_else(|| EngineError::UnknownDialect {
                dialect: name.to_string(),
                expected: Dialect::ALL.map(Dialect::name).join(", "),
            })
    }
}
