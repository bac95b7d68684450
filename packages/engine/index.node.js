'use strict';

// wasm-pack's `nodejs` build: the module is compiled when first required.
const wasm = require('./node/ripple_engine.js');

const engine = Object.freeze({ version: wasm.version, tables: wasm.tables, compatView: wasm.compatView });

exports.loadEngine = () => Promise.resolve(engine);
