/**
 * Types and the API client shared by Ripple's frontend and backend plugins.
 *
 * @packageDocumentation
 */
export * from './client';
export * from './consumerCode';
export * from './engineErrors';
// The API's types and a client for every route, generated from the backend's
// OpenAPI spec (plugins/ripple-backend/src/schema/openapi.yaml) by
// ./scripts/generate-openapi.sh. The engine's own types (Dialect,
// StatementTables) come from @ripple/engine, generated from the Rust types,
// through ./client.
export type {
  AnalysisRetry,
  CatalogEntitySummary,
  CatalogMigration,
  CatalogSummary,
  CodeFile,
  Consumer,
  ConsumerCode,
  ConsumerDiscovery,
  ConsumerPage,
  ConsumerPatch,
  ConsumerPreview,
  Dataset,
  DatasetCode,
  DatasetColumn,
  EntityMigration,
  EntityMigrationPage,
  EntityRole,
  Impact,
  ImpactFile,
  Migration,
  MigrationEvent,
  MigrationEventType,
  MigrationPage,
  MigrationState,
  NewMigration,
  NewReview,
  Patch,
  PatchProposal,
  PatchReason,
  PatchStatus,
  PatchSummary,
  Preview,
  Review,
  ReviewDecision,
} from './schema/openapi/generated/models';
export { DefaultApiClient as RippleApiClient } from './schema/openapi/generated/apis';
export type {
  RequestOptions,
  TypedResponse,
} from './schema/openapi/generated/apis';
export * from './permissions';
export * from './states';
