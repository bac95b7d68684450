import { createServiceFactory } from '@backstage/backend-plugin-api';
import type { RippleEngine } from '@ripple/engine';
import path from 'node:path';
import { rippleEngineServiceRef } from '../engine/engineService';

/** packages/engine, where scripts/build-engine.sh writes the builds. */
const ENGINE_PACKAGE = path.resolve(__dirname, '../../../../packages/engine');

/**
 * The engine canary's test build: a second real build of the Rust engine
 * (`--features canary`, packages/engine/node-canary, built by
 * scripts/build-engine.sh for the tests only) that declares the version
 * `<version>+canary` and rewrites one construct differently: the output name
 * a renamed column keeps is quoted (`amount_usd AS "amount"` rather than
 * `amount_usd AS amount`). Wrapped by the engine package's own guard, as the
 * released build is.
 */
export function loadCanaryEngine(): RippleEngine {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const wasm = require(path.join(
    ENGINE_PACKAGE,
    'node-canary/ripple_engine.js',
  ));
  const { makeEngine } = require(path.join(ENGINE_PACKAGE, 'guard.js'));
  const dbt = () =>
    require(path.join(ENGINE_PACKAGE, 'node-dbt/ripple_engine.js'));
  /* eslint-enable @typescript-eslint/no-require-imports */
  return makeEngine(wasm, dbt);
}

/** Installs {@link loadCanaryEngine}'s build as a backend's engine. */
export const canaryEngineFactory = createServiceFactory({
  service: rippleEngineServiceRef,
  deps: {},
  factory: async () => loadCanaryEngine(),
});
