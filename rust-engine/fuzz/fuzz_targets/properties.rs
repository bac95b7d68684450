//! Any text as a dbt property file through `rewrite_properties`: the engine
//! must answer without panicking, and a patch it proposes must read back as
//! YAML. Run from the repository root with
//! `RUSTC_BOOTSTRAP=1 cargo fuzz run --fuzz-dir rust-engine/fuzz properties`;
//! seed `rust-engine/fuzz/corpus/properties` with property files.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ripple_engine::{ChangeSpec, RewriteStatus};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let spec = ChangeSpec::from_json(
        r#"{"dataset": "ds.t", "changes": [{"kind": "rename_column", "column": "a", "to": "b"}, {"kind": "replace_table", "to": "ds.u", "columns": {"c": "c_cents / 100"}}]}"#,
    )
    .expect("a valid spec");
    let result = ripple_engine::rewrite_properties("fuzz.yml", text, &spec);
    if let Some(content) = result.content {
        assert_ne!(ripple_engine::rewrite_properties("fuzz.yml", &content, &spec).status, RewriteStatus::Error, "{content}");
    }
});
