// Tests here run real parts (git processes, databases, the engine's
// WebAssembly), whose time grows with the machine's load: Jest's 5 s default
// failed real git deliveries on a 2-core runner shared with a build. Tests
// wait for what they check, and still fail at this timeout if it never comes.
jest.setTimeout(60_000);

export {};
