import type { LoggerService } from '@backstage/backend-plugin-api';
import type { Config } from '@backstage/config';
import { Entity, RELATION_OWNED_BY } from '@backstage/catalog-model';
import type {
  FailedCheck,
  HealthSignals,
  HealthVerdict,
} from '@ripple/backstage-plugin-ripple-common';
import type {
  HealthReadContext,
  RippleHealthProvider,
} from '@ripple/backstage-plugin-ripple-node';
import { CHECKS_SOURCE } from '../database/healthSignals';
import type { MigrationStore } from '../database/MigrationStore';
import type {
  RolloutEvent,
  RolloutRecord,
  RolloutStore,
} from '../database/RolloutStore';
import { healthBreaches } from './health';
import { checkObservedAt } from './healthJudgement';
import type { RolloutNotifier } from './RolloutContext';

/**
 * The rollout's health signals (docs/rollout.md, "Health gates"): those
 * sent to the API and those read from the health providers, judged against
 * the plan's thresholds. A breach marks the consumer unhealthy, is recorded
 * on the timeline, pauses a rolling-out migration and notifies the owners.
 * A signal is judged only when newer than the last one judged for its
 * consumer (the store compares and sets that in the signal's transaction).
 */
export class RolloutHealth {
  constructor(
    private readonly options: {
      store: MigrationStore;
      rollouts: RolloutStore;
      logger: LoggerService;
      healthProviders: RippleHealthProvider[];
      notify?: RolloutNotifier;
      config?: Config;
      /** An entity, with the plugin's own credentials. */
      entity: (entityRef: string) => Promise<Entity | undefined>;
      migrationUrl: (migrationId: string) => string;
    },
  ) {}

  /**
   * Records a health signal of a consumer. For a delivered consumer it is
   * judged against the plan's thresholds: a breach marks it unhealthy, is
   * recorded on the timeline, pauses a rolling-out migration and notifies
   * the owners.
   */
  async recordSignal(input: {
    migrationId: string;
    consumerRef: string;
    signals: HealthSignals;
    observedAt: Date;
    source: string;
    /** The failed checks by name, for a signal of the delivery's checks. */
    failedChecks?: FailedCheck[];
  }): Promise<HealthVerdict> {
    const { migrationId, source, failedChecks, ...signal } = input;
    const consumerRef = input.consumerRef.toLocaleLowerCase('en-US');
    const record = await this.options.rollouts.getRollout(migrationId);
    const [consumer] = record
      ? await this.options.rollouts.listConsumers(migrationId, [consumerRef])
      : [];
    const delivered =
      consumer?.deliveredAt &&
      (consumer.delivery?.status === 'delivered' ||
        consumer.delivery?.status === 'merged') &&
      // A signal observed before the delivery (a provider reads runs from
      // before it too) is of the code before the patch.
      input.observedAt.getTime() >= consumer.deliveredAt.getTime();
    if (!record || !consumer || !delivered) {
      // Before its patch is delivered a signal is only a baseline.
      await this.options.rollouts.recordHealth({
        ...signal,
        migrationId,
        source,
        consumerRef,
      });
      return {
        consumerRef,
        health: consumer?.health ?? 'unknown',
        breaches: [],
        paused: false,
        judged: false,
      };
    }
    const baseline = await this.options.rollouts.lastSignalBefore(
      migrationId,
      consumerRef,
      consumer.deliveredAt!,
    );
    const breaches = healthBreaches(
      input.signals,
      record.plan.health,
      baseline,
      failedChecks,
    );
    const events: RolloutEvent[] = [];
    const signalData = { signal: input.signals, source, breaches };
    let pause: string | undefined;
    if (breaches.length) {
      const reason = `${consumerRef} is unhealthy: ${breaches.join('; ')}`;
      events.push({
        type: 'health-breach',
        consumerRef,
        message: `Health gate breached by ${consumerRef} (${source}): ${breaches.join(
          '; ',
        )}`,
        data: signalData,
      });
      pause = reason;
    } else if (consumer.health === 'unhealthy') {
      events.push({
        type: 'health-recovered',
        consumerRef,
        message: `${consumerRef} is healthy again (${source})`,
        data: signalData,
      });
    }
    const { judged, paused } = await this.options.rollouts.recordHealth({
      ...signal,
      migrationId,
      source,
      consumerRef,
      health: breaches.length
        ? { health: 'unhealthy', reason: breaches.join('; ') }
        : { health: 'healthy' },
      events,
      pause,
    });
    if (judged && breaches.length) {
      await this.notifyBreach(migrationId, consumerRef, breaches, paused);
    }
    const verdict = breaches.length ? 'unhealthy' : 'healthy';
    return {
      consumerRef,
      // A signal already recorded, or older than the last one judged,
      // changes nothing.
      health: judged ? verdict : consumer.health,
      breaches,
      paused,
      judged,
    };
  }

  /**
   * Turns the delivered consumers' checks (read back by the delivery's
   * sync) into signals of the `checks` source: a consumer whose checks
   * fail is a breach, as any other, and one whose checks pass again
   * recovers. Only a change from the consumer's last checks signal is
   * recorded, so each step may call it, and a crash between the sync and
   * this call loses nothing: the next step compares again.
   */
  async judgeChecks(record: RolloutRecord): Promise<void> {
    if (record.state !== 'rolling_out' && record.state !== 'paused') return;
    const consumers = (
      await this.options.rollouts.listConsumers(record.migrationId)
    ).filter(c => c.delivery?.status === 'delivered' && c.delivery.checks);
    if (!consumers.length) return;
    const last = await this.options.rollouts.latestSignals(
      record.migrationId,
      CHECKS_SOURCE,
    );
    for (const consumer of consumers) {
      const { checks, failedChecks = [] } = consumer.delivery!;
      if (checks === 'pending') continue;
      const failed =
        checks === 'failing' ? Math.max(1, failedChecks.length) : 0;
      const before = last.get(consumer.consumerRef)?.signals.failedChecks;
      if (before === failed || (before === undefined && failed === 0)) {
        continue;
      }
      await this.recordSignal({
        migrationId: record.migrationId,
        consumerRef: consumer.consumerRef,
        signals: { failedChecks: failed },
        observedAt: new Date(),
        source: CHECKS_SOURCE,
        failedChecks,
      });
    }
  }

  /** Reads every health provider for the delivered consumers since the last read. */
  async readProviders(record: RolloutRecord): Promise<void> {
    const { healthProviders } = this.options;
    if (!healthProviders.length || record.state !== 'rolling_out') return;
    const consumers = (
      await this.options.rollouts.listConsumers(record.migrationId)
    ).filter(
      c =>
        c.delivery?.status === 'delivered' || c.delivery?.status === 'merged',
    );
    if (!consumers.length) return;
    const startedAt = record.waves[0]?.startedAt;
    const since =
      record.healthReadAt ?? (startedAt ? new Date(startedAt) : new Date(0));
    const readAt = new Date();
    const refs = consumers.map(c => c.consumerRef);
    const delivered = new Set(refs);
    const migration = await this.options.store.getMigration(record.migrationId);
    const context: HealthReadContext = {
      migrationId: record.migrationId,
      datasetRef: migration?.datasetRef ?? '',
      deliveredAt: Object.fromEntries(
        consumers
          .filter(c => c.deliveredAt)
          .map(c => [c.consumerRef, c.deliveredAt!.toISOString()]),
      ),
    };
    for (const provider of healthProviders) {
      let signals;
      try {
        signals = await provider.read(refs, since, context);
      } catch (error) {
        this.options.logger.warn(
          `Health provider ${provider.id} failed: ${error}`,
        );
        continue;
      }
      for (const { consumerRef, observedAt, ...values } of signals) {
        if (!delivered.has(consumerRef.toLocaleLowerCase('en-US'))) continue;
        try {
          // A provider's signal is held to the API's rule on clocks.
          checkObservedAt(new Date(observedAt).toISOString());
        } catch (error) {
          this.options.logger.warn(
            `Health provider ${provider.id}: ${consumerRef}: ${error}`,
          );
          continue;
        }
        await this.recordSignal({
          migrationId: record.migrationId,
          consumerRef,
          signals: values,
          observedAt: new Date(observedAt),
          source: provider.id,
        });
      }
    }
    await this.options.rollouts.setHealthReadAt(record.migrationId, readAt);
  }

  private async notifyBreach(
    migrationId: string,
    consumerRef: string,
    breaches: string[],
    paused: boolean,
  ) {
    const { notify } = this.options;
    if (!notify) return;
    try {
      const migration = (await this.options.store.getMigration(migrationId))!;
      const entity = await this.options.entity(consumerRef);
      const notification = {
        title: `Ripple: ${consumerRef} is unhealthy after "${migration.title}"`,
        description: `${breaches.join('; ')}.${
          paused ? ' The rollout is paused.' : ''
        }`,
        link: this.options.migrationUrl(migrationId),
        scope: `ripple:${migrationId}:${consumerRef}:health`,
      };
      await notify({
        ...notification,
        recipients: [...new Set([...ownersOf(entity), migration.owner])],
      });
      const onCall = this.options.config?.getOptionalConfig(
        'ripple.health.onCall',
      );
      if (onCall) {
        // Its own scope: the owners' notification must not replace it.
        await notify({
          ...notification,
          recipients: onCall.getStringArray('recipients'),
          severity: 'critical',
          topic: onCall.getOptionalString('topic') ?? 'ripple-on-call',
          scope: `${notification.scope}:on-call`,
        });
      }
    } catch (error) {
      this.options.logger.warn(
        `Could not notify the owners of ${consumerRef}: ${error}`,
      );
    }
  }
}

/** The owners of an entity (its `ownedBy` relations). */
export function ownersOf(entity: Entity | undefined): string[] {
  return (entity?.relations ?? [])
    .filter(r => r.type === RELATION_OWNED_BY)
    .map(r => r.targetRef);
}
