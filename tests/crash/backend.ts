/*
 * The crash test's backend (tests/crash/run.sh): a real Backstage backend
 * process, as a portal runs it, with the plugins the rollout needs and
 * nothing else (no app, search, scaffolder or techdocs), so that it starts in
 * seconds and can be killed and restarted a hundred times.
 *
 * run.sh starts it with Backstage's own TypeScript transform
 * (`node --require @backstage/cli-node/config/nodeTransform.cjs`, what
 * `backstage-cli package start` runs, without its file watcher) and the
 * config crash.mjs writes: PostgreSQL, the consumers' repositories readable
 * and writable below the work folder, the scheduled tasks every second.
 */
import { createBackend } from '@backstage/backend-defaults';
import { localFileUrlReaderFactory } from '@ripple/backstage-plugin-ripple-backend';

const backend = createBackend();

// Users sign in as the guest (the driver's token), owning the fleet.
backend.add(import('@backstage/plugin-auth-backend'));
backend.add(import('@backstage/plugin-auth-backend-module-guest-provider'));
backend.add(import('@backstage/plugin-catalog-backend'));
backend.add(import('@backstage/plugin-permission-backend'));
// The dev portal's policy: reviews for the consumers' owners.
backend.add(import('../../packages/backend/src/permissionPolicy'));
backend.add(import('@ripple/backstage-plugin-ripple-backend'));
backend.add(import('@ripple/backstage-plugin-catalog-backend-module-ripple'));
// The agent reads the consumers' code from their clones on disk.
backend.add(localFileUrlReaderFactory);
backend.start();
