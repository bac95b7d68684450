//! Ripple's engine: reads the SQL of a dataset's downstream consumers and says
//! which tables each statement reads and writes.
//!
//! The crate is pure Rust. The `ripple` CLI and the WebAssembly bindings both
//! wrap it, so the backend, the browser and CI all run the same code.

mod dialect;
mod error;
mod location;
mod tables;

pub use dialect::Dialect;
pub use error::EngineError;
pub use location::Location;
pub use tables::{tables, StatementTables};

/// The engine's version, as reported by the CLI and the WebAssembly package.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
