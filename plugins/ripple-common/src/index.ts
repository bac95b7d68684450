/**
 * Types and the API client shared by Ripple's frontend and backend plugins.
 *
 * @packageDocumentation
 */
export * from './client';
// The API's types, generated from the backend's OpenAPI spec
// (plugins/ripple-backend/src/schema/openapi.yaml) by ./scripts/generate-openapi.sh.
// The engine's own types (Dialect, StatementTables) come from @ripple/engine,
// generated from the Rust types, through ./client.
export type {
  AnalysisRetry,
  Consumer,
  ConsumerDiscovery,
  Impact,
  ImpactFile,
  Migration,
  MigrationEvent,
  MigrationEventType,
  MigrationState,
  Patch,
  PatchReason,
  PatchStatus,
  PatchSummary,
  Review,
  ReviewDecision,
} from './schema/openapi/generated/models';
export * from './permissions';
export * from './states';
