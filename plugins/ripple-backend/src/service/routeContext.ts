import type {
  AuditorService,
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import type { RippleEngine } from '@ripple/engine';
import type { MigrationStore } from '../database/MigrationStore';
import type { EngineCanaryStore } from '../database/EngineCanaryStore';
import type { LineageService } from '../lineage/LineageService';
import type { SchemaDrafts } from '../drafts/SchemaDrafts';
import type { ChangeImpact } from '../migration/ChangeImpact';
import type { ConsumerReadModel } from '../migration/ConsumerReadModel';
import type { MigrationService } from '../migration/MigrationService';
import type { ConsumerVisibility } from '../migration/visibility';
import type { CompatViews } from '../rollout/CompatViews';
import type { RolloutService } from '../rollout/RolloutService';
import type { ValidationService } from '../validation/ValidationService';
import type { StepService } from '../steps/StepService';
import type { createOpenApiRouter } from '../schema/openapi';
import type { Access } from './access';
import type { ConsumerIndex } from '../consumerIndex/ConsumerIndex';

/** What a router needs; the plugin passes Backstage's services. */
export type RouterOptions = {
  engine: RippleEngine;
  store: MigrationStore;
  migrations: MigrationService;
  drafts: SchemaDrafts;
  /** `POST /impact`: a change's consumers and covering migrations. */
  impact: ChangeImpact;
  consumers: ConsumerReadModel;
  visibility: ConsumerVisibility;
  permissions: PermissionsService;
  httpAuth: HttpAuthService;
  auditor: AuditorService;
  rollout: RolloutService;
  compatViews: CompatViews;
  validation: ValidationService;
  /** The migrations' steps on the datasets' warehouses (docs/steps.md). */
  steps: StepService;
  /** OpenLineage, when `ripple.health.openLineage` is configured. */
  lineage?: LineageService;
  /** The engine canaries (docs/backend.md). */
  canaries: EngineCanaryStore;
  /** Runs the agent's refresh (and so the accepted canary) now. */
  refresh?: () => Promise<void>;
  /** The consumer index (docs/backend.md, "The consumer index"). */
  consumerIndex?: Pick<ConsumerIndex, 'status' | 'requestRefresh'>;
  /** Starts the consumer index's refresh now. */
  refreshIndex?: () => Promise<void>;
};

/** The typed router the routes are added to (src/schema/openapi.yaml). */
export type ApiRouter = Awaited<ReturnType<typeof createOpenApiRouter>>;

/** What each group of routes gets: the services, and the access checks. */
export type RouteContext = RouterOptions & Access;
