//! Rust panics reach JS as a thrown `RippleError` of kind `internal`, never as
//! an opaque `unreachable` trap.
//!
//! wasm32-unknown-unknown aborts on panic: nothing unwinds, so the hook runs
//! at the point of the panic and throws from there. The JS exception leaves
//! the WebAssembly frames behind without running their destructors, and the
//! instance's shadow stack pointer stays where the panic left it, so the
//! instance is not trusted again: the hook also schedules a reinit, which
//! wasm-bindgen's glue performs (a fresh `WebAssembly.Instance` of the same,
//! already compiled module) before the next call.

use std::panic::PanicHookInfo;

use crate::boundary::{to_js_error, BindingError};

pub fn install_hook() {
    std::panic::set_hook(Box::new(throw_panic));
}

fn throw_panic(info: &PanicHookInfo) {
    wasm_bindgen::handler::schedule_reinit();
    let error = BindingError::Internal { message: info.to_string() };
    wasm_bindgen::throw_val(to_js_error(error));
}

/// Asks for a fresh instance before the next call. The package's entry points
/// call it after a WebAssembly trap (stack overflow, out of memory), which no
/// Rust code sees.
pub fn schedule_reload() {
    wasm_bindgen::handler::schedule_reinit();
}
