//! The native side of the WebAssembly package's benchmark
//! (`packages/engine/bench/bench.js` builds and drives it): times
//! `ripple_engine::analyze` over the inputs the script lists, the same calls
//! the script makes through WebAssembly.
//!
//! Usage: `bench_native INPUTS.json`, INPUTS.json being
//! `[{"path", "language", "dialect", "text"}]`. After one untimed pass it
//! prints `ready`; then for each line read on stdin it runs one pass and
//! prints its time in seconds, so that the script can alternate native and
//! WebAssembly passes under the same machine load.

use std::io::{BufRead, Write};
use std::time::Instant;

use ripple_engine::{Dialect, Language, Options};
use serde::Deserialize;

#[derive(Deserialize)]
struct Input {
    path: String,
    language: Language,
    dialect: Dialect,
    text: String,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let file = std::env::args().nth(1).ok_or("usage: bench_native INPUTS.json")?;
    let inputs: Vec<Input> = serde_json::from_str(&std::fs::read_to_string(file)?)?;
    let run = || {
        let mut statements = 0;
        for input in &inputs {
            let options = Options { dialect: input.dialect, schema: None };
            statements += ripple_engine::analyze(&input.path, input.language, &input.text, options).statements.len();
        }
        statements
    };
    run();
    let mut out = std::io::stdout().lock();
    writeln!(out, "ready")?;
    out.flush()?;
    for line in std::io::stdin().lock().lines() {
        line?;
        let start = Instant::now();
        std::hint::black_box(run());
        writeln!(out, "{}", start.elapsed().as_secs_f64())?;
        out.flush()?;
    }
    Ok(())
}
