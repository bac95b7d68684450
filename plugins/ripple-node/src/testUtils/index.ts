/**
 * Test utilities for Ripple's delivery methods: real git repositories to
 * deliver to, and an in-memory GitHub behind its documented REST API
 * (its handlers go into the test's own msw server: msw is an optional peer
 * dependency, installed by the test, so both use one msw); and a
 * PostgreSQL warehouse on a database of its own; BigQuery behind its
 * documented REST API, on an in-memory DuckDB.
 *
 * @packageDocumentation
 */

export { TestGitRepository } from './TestGitRepository';
export { FakeGitHub, type Fault, type RecordedRequest } from './FakeGitHub';
export {
  createTestPostgresWarehouse,
  testPostgresUrl,
} from './TestPostgresWarehouse';
export { DuckDbBackend } from './warehouse/duckdbBackend';
export {
  startFakeBigQuery,
  type FakeBigQuery,
  type FakePartitioning,
} from './warehouse/fakeBigQuery';
