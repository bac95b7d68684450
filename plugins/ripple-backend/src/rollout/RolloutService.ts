import type {
  HealthVerdict,
  Migration,
  Rollout,
  RolloutPlanRequest,
} from '@ripple/backstage-plugin-ripple-common';
import type { CompatViewGate } from './CompatViews';
import { requireValidationDefault } from './plan';
import { RolloutActions } from './RolloutActions';
import { RolloutContext, RolloutServiceOptions } from './RolloutContext';
import { RolloutDeliveries } from './RolloutDeliveries';
import { RolloutHealth } from './RolloutHealth';
import { RolloutStep } from './RolloutStep';
import { RolloutView } from './RolloutView';
import { RolloutTiming } from './timing/RolloutTiming';

export type { RolloutNotifier, RolloutServiceOptions } from './RolloutContext';

/**
 * The rollout of migrations (docs/rollout.md), as the router and the
 * scheduler use it. It wires the parts, each in its own module:
 * {@link RolloutActions}, the actions people take (start, advance, pause,
 * resume, roll back); {@link RolloutHealth}, the health signals;
 * {@link RolloutStep}, `runOnce`, the scheduled step; the advance gate
 * (advanceGate.ts); and {@link RolloutDeliveries}, delivering, following
 * and reverting deliveries under claims. Every decision is re-read from the
 * database, so any replica can run any step after a restart.
 */
export class RolloutService {
  private readonly view: RolloutView;
  private readonly actions: RolloutActions;
  private readonly health: RolloutHealth;
  private readonly scheduled: RolloutStep;
  private readonly context: RolloutContext;
  private readonly deliveries: RolloutDeliveries;

  constructor(options: RolloutServiceOptions) {
    const context = new RolloutContext(options);
    this.context = context;
    const deliveries = new RolloutDeliveries(context);
    this.deliveries = deliveries;
    const timing = new RolloutTiming(context);
    this.view = new RolloutView(context, timing);
    this.actions = new RolloutActions(context, this.view, deliveries, timing);
    this.health = new RolloutHealth({
      ...options,
      entity: ref => context.entity(ref),
      migrationUrl: id => context.migrationUrl(id),
    });
    this.scheduled = new RolloutStep(context, deliveries, this.health, timing);
  }

  /** The migration's rollout; before it starts, the plan and waves it would start with. */
  getRollout(migration: Migration): Promise<Rollout> {
    return this.view.getRollout(migration);
  }

  /**
   * Whether the migration's patches need a passed validation (or one
   * skipped with its reason) to be approved: the started rollout's plan
   * says; before the start (or without a rollout), the config's default
   * `ripple.rollout.requireValidation`, which is also what `getRollout`
   * shows as the plan it would start with. A start request may then ask
   * otherwise: approvals recorded before it stand, but under a plan that
   * requires validation a patch is delivered, and its wave advances, only
   * once validated (docs/validation.md, "Requiring validation").
   */
  async requiresValidation(migrationId: string): Promise<boolean> {
    const record = await this.context.rollouts.getRollout(migrationId);
    return record
      ? record.plan.requireValidation
      : requireValidationDefault(this.context.config);
  }

  /** See {@link RolloutActions.start}. */
  start(
    migration: Migration,
    request: RolloutPlanRequest | undefined,
    actor: string,
    options: {
      compatView?: () => Promise<CompatViewGate>;
      confirmConsumers?: number;
    } = {},
  ): Promise<Rollout> {
    return this.actions.start(migration, request, actor, options);
  }

  /** The kill switch: see {@link RolloutActions.stopAutomation}. */
  stopAutomation(
    migrationId: string,
    reason: string | undefined,
    actor: string,
  ): Promise<Migration> {
    return this.actions.stopAutomation(migrationId, reason, actor);
  }

  /** Lifts the kill switch. */
  resumeAutomation(migrationId: string, actor: string): Promise<Migration> {
    return this.actions.resumeAutomation(migrationId, actor);
  }

  /** Advances from `wave` (the active one by default); idempotent on `wave`. */
  advance(
    migrationId: string,
    wave: number | undefined,
    actor: string,
  ): Promise<Rollout> {
    return this.actions.advance(migrationId, wave, actor);
  }

  pause(
    migrationId: string,
    reason: string | undefined,
    actor: string,
  ): Promise<Rollout> {
    return this.actions.pause(migrationId, reason, actor);
  }

  /** Resumes the rollout, or with `consumerRef` releases that consumer for a new delivery. */
  resume(
    migrationId: string,
    consumerRef: string | undefined,
    actor: string,
  ): Promise<Rollout> {
    return this.actions.resume(migrationId, consumerRef, actor);
  }

  /** Rolls back one consumer or the whole rollout: see {@link RolloutActions.rollback}. */
  rollback(
    migrationId: string,
    consumerRef: string | undefined,
    reason: string | undefined,
    actor: string,
  ): Promise<Rollout> {
    return this.actions.rollback(migrationId, consumerRef, reason, actor);
  }

  /** See {@link RolloutDeliveries.markMerged}. */
  markMerged(
    migrationId: string,
    consumerRef: string,
    actor: string,
  ): Promise<void> {
    return this.deliveries.markMerged(migrationId, consumerRef, actor);
  }

  /**
   * Records a health signal of a consumer, and judges it when the
   * consumer's patch is in place ({@link RolloutHealth.recordSignal}).
   */
  recordSignal(
    input: Parameters<RolloutHealth['recordSignal']>[0],
  ): Promise<HealthVerdict> {
    return this.health.recordSignal(input);
  }

  /** One scheduled step over every active rollout. */
  runOnce(signal?: AbortSignal): Promise<void> {
    return this.scheduled.runOnce(signal);
  }

  /** The scheduled step of one rollout ({@link RolloutStep.step}). */
  step(migrationId: string): Promise<void> {
    return this.scheduled.step(migrationId);
  }
}
