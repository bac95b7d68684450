//! Any text as a dbt property file through `rewrite_properties`: the engine
//! must answer without panicking, and a patch it proposes must read back as
//! YAML. Run from the repository root with
//! `RUSTC_BOOTSTRAP=1 cargo fuzz run --fuzz-dir rust-engine/fuzz properties`;
//! seed `rust-engine/fuzz/corpus/properties` with property files (the
//! spec names the dataset and columns of `tests/properties.rs`'s files).
#![no_main]

use libfuzzer_sys::fuzz_target;
use ripple_engine::{ChangeSpec, RewriteStatus};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let spec = ChangeSpec::from_json(
        r#"{"dataset": "analytics.stg_orders", "changes": [{"kind": "drop_column", "column": "status"},
            {"kind": "replace_table", "to": "analytics.orders_v2", "columns": {"order_id": "order_key", "amount": "amount_cents / 100"}}]}"#,
    )
    .expect("a valid spec");
    let result = ripple_engine::rewrite_properties("fuzz.yml", text, &spec);
    if let Some(content) = result.content {
        assert_ne!(ripple_engine::rewrite_properties("fuzz.yml", &content, &spec).status, RewriteStatus::Error, "{content}");
    }
});
