//! Long chains of every construct that nests the syntax tree one level per
//! link without the parser recursing (`src/depth.rs`). Past the operator cap
//! each is refused (`analyze` scans it, `tables` says so, `rewrite` leaves it
//! for a person) instead of overflowing the stack; just under the cap each
//! still parses and is walked, on the 2 MiB stack of a test thread, in a
//! debug build. The WebAssembly package runs the same chains
//! (`packages/engine/test/hostile.test.js`).

use ripple_engine::analysis::Severity;
use ripple_engine::{ChangeSpec, Dialect, Language, Options, RewriteStatus};

/// The cap, as `src/depth.rs` sets it.
const CAP: usize = 4_000;

/// A construct, the dialect that reads it, and its chain of `n` links.
struct Chain {
    name: &'static str,
    dialect: Dialect,
    /// What one link counts for, out of the cap.
    weight: usize,
    sql: fn(usize) -> String,
}

fn select(expr: String) -> String {
    format!("SELECT {expr} AS x FROM t")
}

fn infix(op: &'static str) -> impl Fn(usize) -> String {
    move |n| select(vec!["a"; n + 1].join(op))
}

const CHAINS: &[Chain] = &[
    Chain { name: "|", dialect: Dialect::Postgres, weight: 1, sql: |n| infix(" | ")(n) },
    Chain { name: "&", dialect: Dialect::Postgres, weight: 1, sql: |n| infix(" & ")(n) },
    Chain { name: "^", dialect: Dialect::BigQuery, weight: 1, sql: |n| infix(" ^ ")(n) },
    Chain { name: "#", dialect: Dialect::Postgres, weight: 1, sql: |n| infix(" # ")(n) },
    Chain { name: "XOR", dialect: Dialect::MySql, weight: 1, sql: |n| infix(" XOR ")(n) },
    Chain { name: "DIV", dialect: Dialect::MySql, weight: 64, sql: |n| infix(" DIV ")(n) },
    Chain { name: "::", dialect: Dialect::Postgres, weight: 1, sql: |n| select(format!("a{}", "::INT".repeat(n))) },
    Chain { name: "->", dialect: Dialect::Postgres, weight: 1, sql: |n| select(format!("a{}", " -> 'k'".repeat(n))) },
    Chain { name: "->>", dialect: Dialect::Postgres, weight: 1, sql: |n| select(format!("a{}", " ->> 'k'".repeat(n))) },
    Chain { name: ":", dialect: Dialect::Snowflake, weight: 1, sql: |n| select(format!("a{}", ":k".repeat(n))) },
    Chain { name: "COLLATE", dialect: Dialect::Postgres, weight: 1, sql: |n| select(format!("a{}", " COLLATE c".repeat(n))) },
    Chain { name: "AT TIME ZONE", dialect: Dialect::Postgres, weight: 1, sql: |n| select(format!("a{}", " AT TIME ZONE 'UTC'".repeat(n))) },
    Chain { name: "IS NULL", dialect: Dialect::Generic, weight: 1, sql: |n| select(format!("a{}", " IS NULL".repeat(n))) },
    Chain { name: "LIKE", dialect: Dialect::Generic, weight: 1, sql: |n| select(format!("a{}", " LIKE 'x'".repeat(n))) },
    Chain { name: "IN", dialect: Dialect::Generic, weight: 1, sql: |n| select(format!("a{}", " IN (1)".repeat(n))) },
    Chain { name: "subscript", dialect: Dialect::Postgres, weight: 1, sql: |n| select(format!("a{}", "[1]".repeat(n))) },
    Chain { name: "field access", dialect: Dialect::Postgres, weight: 0, sql: |n| select(format!("(a){}", ".f".repeat(n))) },
    Chain { name: "unary -", dialect: Dialect::Generic, weight: 1, sql: |n| select(format!("{}a", "- ".repeat(n))) },
    Chain { name: "NOT", dialect: Dialect::Generic, weight: 1, sql: |n| select(format!("{}a", "NOT ".repeat(n))) },
    Chain { name: "UNION ALL", dialect: Dialect::BigQuery, weight: 1, sql: |n| format!("SELECT a FROM t{}", " UNION ALL SELECT a FROM t".repeat(n)) },
    Chain { name: "PIVOT", dialect: Dialect::BigQuery, weight: 65, sql: |n| format!("SELECT a FROM t{}", " PIVOT(SUM(a) FOR b IN (1))".repeat(n)) },
    Chain { name: "UNPIVOT", dialect: Dialect::BigQuery, weight: 65, sql: |n| format!("SELECT a FROM t{}", " UNPIVOT(a FOR b IN (c))".repeat(n)) },
];

fn options(dialect: Dialect) -> Options<'static> {
    Options { dialect, schema: None }
}

fn spec() -> ChangeSpec {
    ChangeSpec::from_json(r#"{"dataset": "t", "changes": [{"kind": "rename_column", "column": "a", "to": "b"}]}"#).unwrap()
}

#[test]
fn a_chain_past_the_cap_is_scanned_refused_or_left_for_a_person() {
    for chain in CHAINS {
        // Field access is one flat node (and prefix operators recurse in the
        // parser, which its recursion limit stops): chains of any length are
        // safe; they are still tried long.
        let n = CAP.checked_div(chain.weight).map_or(20_000, |n| n + 10);
        let sql = (chain.sql)(n);
        let analysis = ripple_engine::analyze("chain.sql", Language::Sql, &sql, options(chain.dialect));
        assert_eq!(analysis.statements.len(), 1, "{}", chain.name);
        if chain.weight > 0 {
            assert!(!analysis.statements[0].parsed, "{}", chain.name);
            assert!(analysis.diagnostics.iter().any(|d| d.severity == Severity::Error), "{}", chain.name);
            assert!(ripple_engine::tables(&sql, chain.dialect).is_err(), "{}", chain.name);
        }
        let rewrite = ripple_engine::rewrite("chain.sql", Language::Sql, &sql, &spec(), options(chain.dialect));
        assert_ne!(rewrite.status, RewriteStatus::Error, "{}", chain.name);
    }
}

#[test]
fn a_chain_just_under_the_cap_is_parsed_and_walked() {
    for chain in CHAINS {
        let n = CAP.checked_div(chain.weight).map_or(CAP, |n| n - 1);
        let sql = (chain.sql)(n);
        let analysis = ripple_engine::analyze("chain.sql", Language::Sql, &sql, options(chain.dialect));
        // Unary chains stop at the parser's recursion limit, with an error,
        // and `COLLATE` takes no second `COLLATE` (each is still counted).
        if !["unary -", "NOT", "COLLATE"].contains(&chain.name) {
            assert!(analysis.statements[0].parsed, "{}: {:?}", chain.name, analysis.diagnostics);
            assert!(ripple_engine::tables(&sql, chain.dialect).is_ok(), "{}", chain.name);
        }
        let rewrite = ripple_engine::rewrite("chain.sql", Language::Sql, &sql, &spec(), options(chain.dialect));
        assert_ne!(rewrite.status, RewriteStatus::Error, "{}", chain.name);
    }
}

#[test]
fn a_chain_under_the_cap_inside_the_deepest_nesting_is_walked() {
    // 25 nested derived tables take the parser to its recursion limit; the
    // chain nests on top of that.
    let (open, close) = ("(SELECT a FROM ".repeat(25), ")".repeat(25));
    for (dialect, inner) in [
        (Dialect::Postgres, format!("SELECT {} AS a FROM t", vec!["a"; CAP - 10].join(" | "))),
        (Dialect::Postgres, format!("SELECT a{} AS a FROM t", "::INT".repeat(CAP - 10))),
        (Dialect::BigQuery, format!("SELECT a FROM t{}", " UNION ALL SELECT a FROM t".repeat(CAP - 10))),
    ] {
        let sql = format!("SELECT a FROM {open}({inner}){close}");
        let analysis = ripple_engine::analyze("chain.sql", Language::Sql, &sql, options(dialect));
        assert!(analysis.statements[0].parsed, "{:?}", analysis.diagnostics);
        assert!(ripple_engine::tables(&sql, dialect).is_ok());
        ripple_engine::rewrite("chain.sql", Language::Sql, &sql, &spec(), options(dialect));
    }
}
