//! Any text, in every language and dialect, through `analyze`, `tables`
//! and `rewrite`: the engine must answer without panicking, overflowing its
//! stack or taking long. Run from the repository root with
//! `RUSTC_BOOTSTRAP=1 cargo fuzz run --fuzz-dir rust-engine/fuzz analyze`;
//! seed `rust-engine/fuzz/corpus/analyze` with files of the engine's corpus.
//!
//! Input: a selector byte (language and dialect), a mode byte, then text.
//! In chain mode the text is `prefix \0 link \0 suffix` and the link is
//! repeated up to 6,000 times (the cap is 4,000 operators): long chains of one construct are what
//! overflows the stack of a tree walk (`src/depth.rs`), and random bytes
//! almost never repeat a construct that often. The known constructs come
//! first; the fuzzer also invents its own links.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ripple_engine::{ChangeSpec, Dialect, Language, Options};

/// Links the fuzzer picks by number (mode byte), then repeats.
const LINKS: &[&str] = &[
    " | a", " & a", " ^ a", " # a", " XOR a", " DIV a", " || a", " + a", "::INT", " -> 'k'", " ->> 'k'", ":k", " COLLATE c",
    " AT TIME ZONE 'UTC'", " IS NULL", " IS NOT TRUE", " LIKE 'x'", " NOT LIKE 'x'", " IN (1)", " BETWEEN 1 AND 2", "[1]", ".f",
    "- ", "NOT ", "~ ", "!", " @ a", " <=> a", " UNION ALL SELECT a FROM t", " EXCEPT DISTINCT SELECT a FROM t",
    " PIVOT(SUM(a) FOR b IN (1))", " UNPIVOT(a FOR b IN (c))", " JOIN u USING (a)", ", a", "(", ")", "CASE WHEN a THEN ",
    " END", "[", "]", "ARRAY[", "STRUCT(", "{{ ", "{% if a %}", "'", "\"", "`", "/*", "--", "\n", "$$", "<", ">",
];

fuzz_target!(|data: &[u8]| {
    let [selector, mode, rest @ ..] = data else { return };
    let Ok(text) = std::str::from_utf8(rest) else { return };
    let language = [Language::Sql, Language::Dbt, Language::Python, Language::Java, Language::Scala][*selector as usize % 5];
    let dialect = Dialect::ALL[(*selector as usize / 5) % Dialect::ALL.len()];
    let text = if mode & 0x80 == 0 {
        text.to_string()
    } else {
        chain(mode & 0x7f, text)
    };
    let options = Options { dialect, schema: None };
    let analysis = ripple_engine::analyze("fuzz.sql", language, &text, options);
    if language == Language::Sql {
        let _ = ripple_engine::tables(&text, dialect);
    }
    let spec = ChangeSpec::from_json(
        r#"{"dataset": "t", "changes": [{"kind": "rename_column", "column": "a", "to": "b"}, {"kind": "replace_table", "to": "u", "columns": {"c": "c_cents / 100"}}]}"#,
    )
    .expect("a valid spec");
    ripple_engine::rewrite_analyzed(&analysis, language, &text, &spec, options);
});

/// `prefix link link ... link suffix`: the count is the text's first two
/// bytes, the link one of `LINKS` (by `which`) or the fuzzer's own.
fn chain(which: u8, text: &str) -> String {
    let mut chars = text.chars();
    let count = chars.next().map_or(0, |c| c as usize) * 256 + chars.next().map_or(0, |c| c as usize);
    let count = count % 6_000;
    let rest = chars.as_str();
    let mut parts = rest.splitn(3, '\0');
    let prefix = parts.next().unwrap_or("SELECT a");
    let own = parts.next().unwrap_or("");
    let suffix = parts.next().unwrap_or(" FROM t");
    let link = match LINKS.get(which as usize) {
        Some(link) if own.is_empty() => *link,
        _ if !own.is_empty() && own.len() <= 64 => own,
        _ => LINKS[which as usize % LINKS.len()],
    };
    let mut out = String::with_capacity(prefix.len() + link.len() * count + suffix.len());
    out.push_str(prefix);
    for _ in 0..count {
        out.push_str(link);
    }
    out.push_str(suffix);
    out
}
