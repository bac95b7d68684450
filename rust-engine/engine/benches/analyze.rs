//! Analysis throughput against `sqlparser`'s parse-only speed on the same
//! input, the floor no analysis can beat. Run with `cargo bench -p ripple-engine`.
//!
//! The input is every plain-SQL file of `corpus/` (or of the folder named by
//! `RIPPLE_BENCH_CORPUS`, e.g. a checkout of real-world warehouse SQL), each
//! parsed in its folder's dialect.

use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use ripple_engine::{Dialect, Language, Options};
use sqlparser::parser::Parser;

struct Input {
    dialect: Dialect,
    sql: String,
}

fn inputs() -> Vec<Input> {
    let root = std::env::var_os("RIPPLE_BENCH_CORPUS").map(PathBuf::from).unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus"));
    let mut found = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let Ok(sql) = std::fs::read_to_string(&path) else {
                continue;
            };
            if Language::detect(path.to_str().unwrap(), &sql) != Some(Language::Sql) {
                continue;
            }
            let folder = path.strip_prefix(&root).unwrap().iter().next().unwrap().to_string_lossy().to_string();
            let dialect = match folder.as_str() {
                "tpch" => Dialect::Postgres,
                "snowflake" => Dialect::Snowflake,
                "spark" => Dialect::Spark,
                _ => Dialect::BigQuery,
            };
            found.push(Input { dialect, sql });
        }
    }
    found
}

fn bench(c: &mut Criterion) {
    let inputs = inputs();
    let bytes: usize = inputs.iter().map(|i| i.sql.len()).sum();
    let mut group = c.benchmark_group("corpus");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.measurement_time(Duration::from_secs(10));
    group.bench_function(BenchmarkId::new("sqlparser_parse_only", bytes), |b| {
        b.iter(|| {
            for input in &inputs {
                let dialect = input.dialect.parser_dialect();
                let _ = Parser::parse_sql(dialect.as_ref(), &input.sql);
            }
        })
    });
    group.bench_function(BenchmarkId::new("ripple_analyze", bytes), |b| {
        b.iter(|| {
            for input in &inputs {
                ripple_engine::analyze_sql(&input.sql, Options { dialect: input.dialect, schema: None });
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
