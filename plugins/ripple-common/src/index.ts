/**
 * Types and the API client shared by Ripple's frontend and backend plugins.
 *
 * @packageDocumentation
 */
export * from './client';
export * from './consumerCode';
export * from './dbtSources';
export * from './engineErrors';
export * from './glob';
// The API's types and a client for every route, generated from the backend's
// OpenAPI spec (plugins/ripple-backend/src/schema/openapi.yaml) by
// ./scripts/generate-openapi.sh. The engine's own types (Dialect,
// StatementTables) come from @ripple/engine, generated from the Rust types,
// through ./client; `ChangeSpec` and `Change` are the API's, which the spec
// takes from the same Rust types (`ripple schema`).
export type {
  AnalysisRetry,
  AutomationStop,
  CatalogEntitySummary,
  CatalogMigration,
  CatalogSummary,
  Change,
  ChangeSpec,
  CodeFile,
  CompatView,
  CompatViewState,
  Consumer,
  ConsumerDetail,
  ConsumerCode,
  ConsumerDelivery,
  ConsumerDiscovery,
  ConsumerHealth,
  ConsumerPage,
  ConsumerPatch,
  ConsumerPreview,
  ConsumerWait,
  Dataset,
  DatasetCode,
  DatasetColumn,
  DatasetColumnsFrom,
  DeliveryWindow,
  DeliveryStatus,
  FailedCheck,
  DraftImpact,
  DraftSuggestion,
  DraftUndecided,
  EntityMigration,
  EntityMigrationPage,
  EntityRole,
  EngineCanary,
  EngineCanaryConsumer,
  EngineCanaryDecision,
  EngineCanaryOutcome,
  EngineCanaryState,
  EngineStatus,
  HealthSignals,
  HealthThresholds,
  HealthVerdict,
  Impact,
  ImpactFile,
  ImpactReason,
  ImpactVerdict,
  LineageJob,
  LineageJobList,
  Migration,
  MigrationEvent,
  MigrationEventType,
  MigrationOrigin,
  MigrationPage,
  MigrationProgress,
  MigrationState,
  ConsumerTimeline,
  TargetDateRequest,
  TimelineEntry,
  TimelineStep,
  NewHealthSignal,
  NewMigration,
  NewReview,
  OpenLineageReceipt,
  OpenLineageRunEvent,
  Patch,
  PatchProposal,
  PatchReason,
  PatchReasonKind,
  FindingKind,
  FindingSeverity,
  PatchStatus,
  PatchSummary,
  Preview,
  PreviewMigration200Response,
  Review,
  ReviewDecision,
  Rollout,
  RolloutPlan,
  RolloutPlanRequest,
  RolloutState,
  StartConfirmation,
  NewStepPlan,
  Step,
  StepCheck,
  StepName,
  StepPlanView,
  StepProgress,
  StepState,
  StepVerification,
  StepVerificationDifferences,
  UnmatchedDataset,
  Validation,
  ValidationStatement,
  ValidationStatementCounts,
  ValidationStatus,
  ValidationSummary,
  Wave,
  WaveSpec,
  WaveState,
} from './schema/openapi/generated/models';
export { DefaultApiClient as RippleApiClient } from './schema/openapi/generated/apis';
export type {
  RequestOptions,
  TypedResponse,
} from './schema/openapi/generated/apis';
import type { Patch } from './schema/openapi/generated/models';
/**
 * A patch's id (the spec's `PatchId`, which the generator inlines): what a
 * review, a delivery and a delivery method name a patch by.
 *
 * @public
 */
export type PatchId = Patch['id'];
export * from './permissions';
export * from './states';
export * from './proposal';
export * from './reasons';
