import { ResponseError } from '@backstage/errors';
import type { Dialect, StatementTables } from '@ripple/engine';
import {
  DefaultApiClient,
  type TypedResponse,
} from './schema/openapi/generated/apis';
import type {
  CompatView,
  Consumer,
  LineageJob,
  ConsumerDetail,
  ConsumerPage,
  ConsumerPatch,
  Dataset,
  DatasetCode,
  EngineCanary,
  EngineCanaryDecision,
  EngineStatus,
  EntityMigrationPage,
  ConsumerTimeline,
  Migration,
  MigrationEvent,
  MigrationPage,
  MigrationState,
  NewMigration,
  NewReview,
  PatchReasonKind,
  Preview,
  PreviewMigration200Response,
  Review,
  Rollout,
  RolloutPlanRequest,
  NewStepPlan,
  Step,
  StepName,
  StepPlanView,
  Validation,
  ValidationStatus,
} from './schema/openapi/generated/models';

export type { Dialect, StatementTables } from '@ripple/engine';

/**
 * A page of a list: how many items to return, and where it starts: after
 * `cursor` (the previous page's `nextCursor`), or after skipping `offset`
 * items (a deep offset is slow; walk a list by cursor).
 */
export type PageRequest = { limit?: number; offset?: number; cursor?: string };

/**
 * Which migrations to list: by state, dataset, deadline (`deadlineBefore`:
 * a target date on or before that day; `hasDeadline`), and in which order
 * (`deadline`: the earliest target date first, none last).
 *
 * @public
 */
export type MigrationQuery = {
  state?: MigrationState[];
  dataset?: string;
  deadlineBefore?: string;
  hasDeadline?: boolean;
  sort?: 'newest' | 'deadline';
} & PageRequest;

/**
 * A consumer's latest validation as the consumer list filters by it: one
 * of its statuses, or `not_validated` for a consumer without one.
 *
 * @public
 */
export type ValidationStatusFilter = ValidationStatus | 'not_validated';

/**
 * The consumers a list keeps: with `reasonKind`, only those whose current
 * patch has a reason of one of these kinds; with `validationStatus`, only
 * those whose latest validation has one of these statuses.
 *
 * @public
 */
export type ConsumerQuery = {
  reasonKind?: PatchReasonKind[];
  validationStatus?: ValidationStatusFilter[];
} & PageRequest;

/**
 * Ripple's backend API, as the frontend and other plugins call it: one
 * method per route, resolving to the response body, rejecting with a
 * `ResponseError` that carries the backend's message.
 *
 * @public
 */
export interface RippleApi {
  /** The version of the engine the backend runs. */
  getEngine(): Promise<{ version: string }>;
  /**
   * The engine version the backend runs, how many open patches another
   * version made, and the canary of the running version.
   */
  getEngineCanary(): Promise<EngineStatus>;
  /** Accepts or refuses the running version's canary (administrators). */
  decideEngineCanary(decision: EngineCanaryDecision): Promise<EngineCanary>;
  /** The tables each statement of `sql` reads and writes, computed by the backend. */
  tables(request: {
    sql: string;
    dialect: Dialect;
  }): Promise<{ statements: StatementTables[] }>;
  listMigrations(query?: MigrationQuery): Promise<MigrationPage>;
  getMigration(id: string): Promise<Migration>;
  createMigration(migration: NewMigration): Promise<Migration>;
  analyzeMigration(id: string): Promise<Migration>;
  cancelMigration(id: string, reason?: string): Promise<Migration>;
  /** Sets, moves or removes (null) the migration's deadline (its owners). */
  setTargetDate(id: string, targetDate: string | null): Promise<Migration>;
  /** The consumer's milestones in the migration, and its deadline. */
  getConsumerTimeline(
    id: string,
    consumerRef: string,
  ): Promise<ConsumerTimeline>;
  /** Confirms or rejects a rename suggested for a draft from a schema change. */
  decideDraftSuggestion(
    id: string,
    suggestionId: string,
    decision: 'confirm' | 'reject',
  ): Promise<Migration>;
  /** Discards a draft (it is cancelled). */
  discardDraft(id: string): Promise<Migration>;
  listMigrationEvents(
    id: string,
    query?: { after?: number; limit?: number; cursor?: string },
  ): Promise<{ items: MigrationEvent[]; nextCursor?: string }>;
  /** A page of the migration's consumers, those the query keeps. */
  listConsumers(id: string, query?: ConsumerQuery): Promise<ConsumerPage>;
  /** One consumer, with its latest validation whole (its statements). */
  getConsumer(id: string, consumerRef: string): Promise<ConsumerDetail>;
  getConsumerPatch(id: string, consumerRef: string): Promise<ConsumerPatch>;
  reviewPatch(
    id: string,
    consumerRef: string,
    review: NewReview,
  ): Promise<Review>;
  /**
   * Asks for the consumer's current patch to be validated again; answers
   * the pending (or unfinished) validation.
   */
  validatePatch(id: string, consumerRef: string): Promise<Validation>;
  /**
   * Records the consumer's delivered patch as merged, on the caller's word
   * (a download applied by hand, a squash its method cannot see).
   */
  markConsumerMerged(id: string, consumerRef: string): Promise<Consumer>;
  /** Every migration touching the entity (`kind:namespace/name`). */
  listEntityMigrations(
    entityRef: string,
    page?: PageRequest,
  ): Promise<EntityMigrationPage>;
  previewMigration(preview: Preview): Promise<PreviewMigration200Response>;
  /** The dataset's table and columns. */
  getDataset(datasetRef: string): Promise<Dataset>;
  /** Its consumers' code, for the live preview in the browser. */
  getDatasetCode(datasetRef: string): Promise<DatasetCode>;
  /** The rollout, or the plan it would start with. */
  getRollout(id: string): Promise<Rollout>;
  /**
   * `overrideCompatView`: why to start without the compatibility view the
   * change needs (recorded on the timeline and in the audit log).
   * `confirmConsumers`: the number of consumers the person confirmed
   * (`Rollout.confirmation`), needed above `ripple.rollout.confirmAbove`.
   */
  startRollout(
    id: string,
    plan?: RolloutPlanRequest,
    options?: { overrideCompatView?: string; confirmConsumers?: number },
  ): Promise<Rollout>;
  /** The kill switch: stops every automatic step of the migration. */
  stopAutomation(id: string, reason?: string): Promise<Migration>;
  /** Lifts the kill switch. */
  resumeAutomation(id: string): Promise<Migration>;
  /** `wave`: the wave the caller saw active, so that a racing advance moves nothing. */
  advanceRollout(id: string, wave?: number): Promise<Rollout>;
  pauseRollout(id: string, reason?: string): Promise<Rollout>;
  resumeRollout(id: string, consumerRef?: string): Promise<Rollout>;
  rollbackRollout(
    id: string,
    options?: { consumerRef?: string; reason?: string },
  ): Promise<Rollout>;
  getCompatView(id: string): Promise<CompatView>;
  markCompatViewApplied(id: string): Promise<CompatView>;
  /** The OpenLineage jobs reading the migration's dataset, unmapped (found in lineage only) first. */
  listLineageJobs(id: string): Promise<LineageJob[]>;
  /**
   * The migration's step plan on its dataset's warehouse, every statement
   * and where each step stands; a `ResponseError` with status 404 when the
   * migration has none.
   */
  getStepPlan(id: string): Promise<StepPlanView>;
  /** Makes the migration's step plan (nothing runs); 409 when it has one. */
  createStepPlan(id: string, options?: NewStepPlan): Promise<StepPlanView>;
  /** One step of the plan. */
  getStep(id: string, step: StepName): Promise<Step>;
  /** Runs the next step on the warehouse (a plan whose mode is `run`). */
  runStep(id: string, step: StepName): Promise<StepPlanView>;
  /** Runs a failed step again. */
  retryStep(id: string, step: StepName): Promise<StepPlanView>;
  /** Rolls the last step done (or failed) back. */
  rollbackStep(
    id: string,
    step: StepName,
    note?: string,
  ): Promise<StepPlanView>;
  /** Handed over: records that the caller ran the next step by hand. */
  markStepDone(
    id: string,
    step: StepName,
    note?: string,
  ): Promise<StepPlanView>;
  /** Approves the contract's statements that delete the old data for good. */
  approveStep(id: string, step: StepName, note?: string): Promise<StepPlanView>;
}

/**
 * A {@link RippleApi} over HTTP, on the client generated from the backend's
 * OpenAPI spec (`RippleApiClient`).
 *
 * @public
 */
export class RippleClient implements RippleApi {
  private readonly api: DefaultApiClient;

  constructor(options: {
    discoveryApi: { getBaseUrl(pluginId: string): Promise<string> };
    fetchApi?: { fetch: typeof fetch };
  }) {
    this.api = new DefaultApiClient({
      discoveryApi: options.discoveryApi,
      fetchApi: options.fetchApi ?? { fetch: globalThis.fetch },
    });
  }

  async getEngine() {
    return body(await this.api.getEngine({}));
  }

  async getEngineCanary() {
    return body(await this.api.getEngineCanary({}));
  }

  async decideEngineCanary(decision: EngineCanaryDecision) {
    return body(await this.api.postEngineCanaryDecision({ body: decision }));
  }

  async tables(request: { sql: string; dialect: Dialect }) {
    return body(await this.api.postEngineTables({ body: request }));
  }

  async listMigrations(query: MigrationQuery = {}) {
    return body(await this.api.listMigrations({ query }));
  }

  async setTargetDate(id: string, targetDate: string | null) {
    return body(
      await this.api.setTargetDate({ path: { id }, body: { targetDate } }),
    );
  }

  async getConsumerTimeline(id: string, consumerRef: string) {
    return body(
      await this.api.getConsumerTimeline({ path: { id, consumerRef } }),
    );
  }

  async getMigration(id: string) {
    return body(await this.api.getMigration({ path: { id } }));
  }

  async createMigration(migration: NewMigration) {
    return body(await this.api.createMigration({ body: migration }));
  }

  async analyzeMigration(id: string) {
    return body(await this.api.analyzeMigration({ path: { id } }));
  }

  async decideDraftSuggestion(
    id: string,
    suggestionId: string,
    decision: 'confirm' | 'reject',
  ) {
    return body(
      await this.api.decideDraftSuggestion({
        path: { id, suggestionId },
        body: { decision },
      }),
    );
  }

  async discardDraft(id: string) {
    return body(await this.api.discardDraft({ path: { id } }));
  }

  async cancelMigration(id: string, reason?: string) {
    return body(
      await this.api.cancelMigration({
        path: { id },
        body: reason ? { reason } : {},
      }),
    );
  }

  async listMigrationEvents(
    id: string,
    query: { after?: number; limit?: number; cursor?: string } = {},
  ) {
    return body(await this.api.listMigrationEvents({ path: { id }, query }));
  }

  async listConsumers(id: string, query: ConsumerQuery = {}) {
    return body(await this.api.listConsumers({ path: { id }, query }));
  }

  async getConsumer(id: string, consumerRef: string) {
    return body(await this.api.getConsumer({ path: { id, consumerRef } }));
  }

  async getConsumerPatch(id: string, consumerRef: string) {
    return body(await this.api.getConsumerPatch({ path: { id, consumerRef } }));
  }

  async reviewPatch(id: string, consumerRef: string, review: NewReview) {
    return body(
      await this.api.reviewPatch({ path: { id, consumerRef }, body: review }),
    );
  }

  async validatePatch(id: string, consumerRef: string) {
    return body(await this.api.validatePatch({ path: { id, consumerRef } }));
  }

  async markConsumerMerged(id: string, consumerRef: string) {
    return body(
      await this.api.markConsumerMerged({ path: { id, consumerRef } }),
    );
  }

  async listEntityMigrations(entityRef: string, page: PageRequest = {}) {
    const match = /^([^:]+):([^/]+)\/(.+)$/.exec(entityRef);
    if (!match) {
      throw new TypeError(
        `"${entityRef}" is not an entity ref (kind:namespace/name)`,
      );
    }
    const [, kind, namespace, name] = match;
    return body(
      await this.api.listEntityMigrations({
        path: { kind, namespace, name },
        query: page,
      }),
    );
  }

  async previewMigration(preview: Preview) {
    return body(await this.api.previewMigration({ body: preview }));
  }

  async getDataset(datasetRef: string) {
    return body(await this.api.getDataset({ path: { datasetRef } }));
  }

  async getDatasetCode(datasetRef: string) {
    return body(await this.api.getDatasetCode({ path: { datasetRef } }));
  }

  async getRollout(id: string) {
    return body(await this.api.getRollout({ path: { id } }));
  }

  async startRollout(
    id: string,
    plan?: RolloutPlanRequest,
    options: { overrideCompatView?: string; confirmConsumers?: number } = {},
  ) {
    return body(
      await this.api.startRollout({
        path: { id },
        body: {
          ...(plan ? { plan } : {}),
          ...(options.overrideCompatView
            ? { overrideCompatView: options.overrideCompatView }
            : {}),
          ...(options.confirmConsumers !== undefined
            ? { confirmConsumers: options.confirmConsumers }
            : {}),
        },
      }),
    );
  }

  async advanceRollout(id: string, wave?: number) {
    return body(
      await this.api.advanceRollout({
        path: { id },
        body: wave === undefined ? {} : { wave },
      }),
    );
  }

  async stopAutomation(id: string, reason?: string) {
    return body(
      await this.api.stopAutomation({
        path: { id },
        body: reason ? { reason } : {},
      }),
    );
  }

  async resumeAutomation(id: string) {
    return body(await this.api.resumeAutomation({ path: { id } }));
  }

  async pauseRollout(id: string, reason?: string) {
    return body(
      await this.api.pauseRollout({
        path: { id },
        body: reason ? { reason } : {},
      }),
    );
  }

  async resumeRollout(id: string, consumerRef?: string) {
    return body(
      await this.api.resumeRollout({
        path: { id },
        body: consumerRef ? { consumerRef } : {},
      }),
    );
  }

  async rollbackRollout(
    id: string,
    options: { consumerRef?: string; reason?: string } = {},
  ) {
    return body(
      await this.api.rollbackRollout({ path: { id }, body: options }),
    );
  }

  async getCompatView(id: string) {
    return body(await this.api.getCompatView({ path: { id } }));
  }

  async markCompatViewApplied(id: string) {
    return body(await this.api.markCompatViewApplied({ path: { id } }));
  }

  async listLineageJobs(id: string) {
    return (await body(await this.api.listLineageJobs({ path: { id } }))).items;
  }

  async getStepPlan(id: string) {
    return body(await this.api.getStepPlan({ path: { id } }));
  }

  async createStepPlan(id: string, options: NewStepPlan = {}) {
    return body(await this.api.createStepPlan({ path: { id }, body: options }));
  }

  async getStep(id: string, step: StepName) {
    return body(await this.api.getStep({ path: { id, step } }));
  }

  async runStep(id: string, step: StepName) {
    return body(await this.api.runStep({ path: { id, step } }));
  }

  async retryStep(id: string, step: StepName) {
    return body(await this.api.retryStep({ path: { id, step } }));
  }

  async rollbackStep(id: string, step: StepName, note?: string) {
    return body(
      await this.api.rollbackStep({
        path: { id, step },
        body: note ? { note } : {},
      }),
    );
  }

  async markStepDone(id: string, step: StepName, note?: string) {
    return body(
      await this.api.markStepDone({
        path: { id, step },
        body: note ? { note } : {},
      }),
    );
  }

  async approveStep(id: string, step: StepName, note?: string) {
    return body(
      await this.api.approveStep({
        path: { id, step },
        body: note ? { note } : {},
      }),
    );
  }
}

/** The response's JSON body, or a `ResponseError` with the backend's message. */
async function body<T>(response: TypedResponse<T>): Promise<T> {
  if (!response.ok) {
    throw await ResponseError.fromResponse(response as Response);
  }
  return response.json();
}
