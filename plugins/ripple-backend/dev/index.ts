import { createBackend } from '@backstage/backend-defaults';
import { mockServices } from '@backstage/backend-test-utils';

// The plugin alone, with mocked auth so its routes can be called directly:
//
//   curl http://localhost:7007/api/ripple/engine
//   curl http://localhost:7007/api/ripple/engine/tables -H 'Content-Type: application/json' \
//     -d '{"sql": "SELECT id FROM proj.ds.orders", "dialect": "bigquery"}'
const backend = createBackend();
backend.add(mockServices.auth.factory());
backend.add(mockServices.httpAuth.factory());
backend.add(import('../src'));
backend.start();
