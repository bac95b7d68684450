'use strict';

// WebAssembly in Node against native, on the same inputs, in one run.
//
//   yarn workspace @ripple/engine bench [FOLDER...]
//
// Reads every file the engine reads (SQL, dbt, Python, Java, Scala) under
// rust-engine/engine/corpus, /tmp/realworld if present, or the folders given;
// each file's dialect comes from its top folder as in `cargo bench`.
// Builds the native timer (rust-engine/wasm/examples/bench_native.rs), runs
// an untimed pass on each side, then alternates one native pass and one
// WebAssembly pass PASSES times, so that both see the same machine load.
// Prints each side's median MB/s and the median of the per-pair ratios. The
// machine may be shared and noisy: read the ratio, not the absolute figures.
//
// Also prints the `.wasm` sizes, raw and gzip -9.

const { execFileSync, spawn } = require('node:child_process');
const readline = require('node:readline');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const zlib = require('node:zlib');

const PASSES = Number(process.env.RIPPLE_BENCH_PASSES ?? 40);
const root = path.resolve(__dirname, '../../..');

function dialectOf(folder) {
  return { tpch: 'postgres', snowflake: 'snowflake', spark: 'spark' }[folder] ?? 'bigquery';
}

function languageOf(file, text) {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.sql') return /\{\{|\{%/.test(text) ? 'dbt' : 'sql';
  return { '.py': 'python', '.java': 'java', '.scala': 'scala' }[ext];
}

function collect(folders) {
  const inputs = [];
  for (const top of folders) {
    const walk = dir => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
        const file = path.join(dir, entry.name);
        if (entry.isDirectory()) {
          if (!entry.name.startsWith('.') && entry.name !== 'node_modules') walk(file);
          continue;
        }
        const text = fs.readFileSync(file, 'utf8');
        const language = languageOf(file, text);
        if (!language) continue;
        const folder = path.relative(top, file).split(path.sep)[0];
        inputs.push({ path: path.relative(top, file), language, dialect: dialectOf(folder), text });
      }
    };
    walk(top);
  }
  return inputs;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function wasmPass(engine, inputs) {
  const start = process.hrtime.bigint();
  let statements = 0;
  for (const input of inputs) {
    statements += engine.analyze(input.path, input.text, { language: input.language, dialect: input.dialect }).statements.length;
  }
  if (statements === 0) throw new Error('no statements analysed');
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** The native timer as a process: `pass()` runs one pass and resolves to its seconds. */
async function startNative(binary, manifest) {
  const child = spawn(binary, [manifest], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async () => {
    const { value, done } = await lines.next();
    if (done) throw new Error('the native timer stopped');
    return value;
  };
  if ((await next()) !== 'ready') throw new Error('the native timer did not start');
  return {
    pass: async () => {
      child.stdin.write('\n');
      return Number(await next());
    },
    stop: () => child.stdin.end(),
  };
}

async function main() {
  const given = process.argv.slice(2).map(f => path.resolve(f));
  const folders = given.length
    ? given
    : [path.join(root, 'rust-engine/engine/corpus'), '/tmp/realworld'].filter(f => fs.existsSync(f));
  const inputs = collect(folders);
  const bytes = inputs.reduce((sum, i) => sum + Buffer.byteLength(i.text), 0);
  console.log(`${inputs.length} files, ${(bytes / 1e6).toFixed(2)} MB, from ${folders.join(', ')}`);

  const manifest = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ripple-bench-')), 'inputs.json');
  fs.writeFileSync(manifest, JSON.stringify(inputs));
  console.log('building the native timer (cargo build --release --example bench_native)');
  execFileSync('cargo', ['build', '--quiet', '--release', '-p', 'ripple-wasm', '--example', 'bench_native'], {
    cwd: root,
    stdio: 'inherit',
  });
  const native = path.join(root, 'target/release/examples/bench_native');

  const { loadEngine } = require('..');
  const engine = await loadEngine();
  const timer = await startNative(native, manifest);
  wasmPass(engine, inputs);
  const times = { native: [], wasm: [] };
  const ratios = [];
  for (let i = 0; i < PASSES; i++) {
    const n = await timer.pass();
    const w = wasmPass(engine, inputs);
    times.native.push(n);
    times.wasm.push(w);
    ratios.push(w / n);
  }
  timer.stop();
  const mbps = seconds => (bytes / 1e6 / seconds).toFixed(1);
  console.log(`native: ${mbps(median(times.native))} MB/s (median of ${PASSES} passes)`);
  console.log(`wasm:   ${mbps(median(times.wasm))} MB/s (median of ${PASSES} passes, results converted to JS objects)`);
  const sorted = [...ratios].sort((a, b) => a - b);
  const quartile = q => sorted[Math.floor(q * (sorted.length - 1))].toFixed(2);
  console.log(
    `ratio:  wasm takes ${median(ratios).toFixed(2)}x the native time (median of ${PASSES} back-to-back pairs; quartiles ${quartile(0.25)}-${quartile(0.75)})`,
  );

  const wasmFile = path.join(__dirname, '../web/ripple_engine_bg.wasm');
  const raw = fs.readFileSync(wasmFile);
  const gzip = zlib.gzipSync(raw, { level: 9 });
  console.log(`size:   ${raw.length} bytes raw, ${gzip.length} bytes gzip -9 (web/ripple_engine_bg.wasm)`);
  fs.rmSync(path.dirname(manifest), { recursive: true, force: true });
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
