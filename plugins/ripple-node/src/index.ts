/**
 * Node library of the Ripple plugin: the extension points through which
 * backend modules add delivery methods, health providers and warehouse
 * types, and the delivery methods and warehouse connections Ripple ships.
 *
 * @packageDocumentation
 */

export * from './delivery';
export * from './health';
export * from './extensions';
export { TransientDeliveryError, parseRetryAfter } from './transient';
export {
  createDownloadDeliveryMethod,
  type DownloadDeliveryMethodOptions,
} from './methods/download/downloadDeliveryMethod';
export {
  createGitBranchDeliveryMethod,
  type GitBranchDeliveryMethodOptions,
} from './methods/git/gitBranchDeliveryMethod';
export {
  ANNOTATION_GIT_REPOSITORY,
  ANNOTATION_GIT_BASE_BRANCH,
  ANNOTATION_GIT_DIRECTORY,
} from './methods/git/gitTarget';
export type { GitCredentials } from './methods/git/MirrorRepository';
export {
  createGitHubPullRequestDeliveryMethod,
  type GitHubPullRequestDeliveryMethodOptions,
} from './methods/github/githubPullRequestDeliveryMethod';
export {
  createDefaultDeliveryMethods,
  createScmGitCredentials,
} from './methods/defaults';
export {
  applyPatchToFiles,
  type PatchedFile,
} from './methods/github/applyPatchToFiles';
export * from './warehouse/warehouse';
export {
  createDuckDbWarehouse,
  type DuckDbWarehouseOptions,
} from './warehouse/duckdb';
export {
  createPostgresWarehouse,
  type PostgresWarehouseOptions,
} from './warehouse/postgres';
export {
  createBigQueryWarehouse,
  type BigQueryWarehouseOptions,
} from './warehouse/bigquery';
export {
  createSnowflakeWarehouse,
  type SnowflakeWarehouseOptions,
} from './warehouse/snowflake';
export {
  compareResults,
  type ColumnComparison,
  type ResultComparison,
  type RowDifference,
} from './warehouse/compare';
export {
  parseSample,
  partitionSample,
  sampleView,
  type ValidationSample,
} from './warehouse/sample';
export {
  createDefaultWarehouseTypes,
  RippleWarehouses,
  type RippleWarehouseType,
} from './warehouse/config';
