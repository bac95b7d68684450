//! Any text, in every language and dialect: the engine must answer without
//! panicking. Run from the repository root with
//! `RUSTC_BOOTSTRAP=1 cargo fuzz run --fuzz-dir rust-engine/fuzz analyze`;
//! seed `rust-engine/fuzz/corpus/analyze` with files of the engine's corpus.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ripple_engine::{Dialect, Language, Options};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else { return };
    let Ok(text) = std::str::from_utf8(rest) else { return };
    let language = [Language::Sql, Language::Dbt, Language::Python, Language::Java, Language::Scala][selector as usize % 5];
    let dialect = Dialect::ALL[(selector as usize / 5) % Dialect::ALL.len()];
    ripple_engine::analyze("fuzz", language, text, Options { dialect, schema: None });
});
