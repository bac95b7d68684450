// The first engine call of a test file loads the WebAssembly module, which
// takes seconds on a busy machine.
jest.setTimeout(30_000);

export {};
