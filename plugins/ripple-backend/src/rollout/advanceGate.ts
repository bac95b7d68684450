import type { RolloutConsumer, RolloutRecord } from '../database/RolloutStore';
import type { RolloutContext } from './RolloutContext';

/** Whether a consumer's patch is in place (delivered or merged). */
export function isInPlace(consumer: RolloutConsumer): boolean {
  const status = consumer.delivery?.status;
  return status === 'delivered' || status === 'merged';
}

/**
 * Whether the active wave may advance: each of its consumers delivered (or
 * its patch rejected, or it rolled back alone), the soak time passed since
 * the last delivery, no delivered consumer unhealthy, and (unless the plan
 * says otherwise) a signal from each of the wave's delivered consumers
 * since its delivery. `soakEndsAt` is when the soak ends, once known.
 */
export async function advanceGate(
  context: RolloutContext,
  record: RolloutRecord,
  // The rollout's consumers, when the caller has just read them.
  listed?: RolloutConsumer[],
): Promise<{ ready: boolean; soakEndsAt?: Date }> {
  const consumers =
    listed ?? (await context.rollouts.listConsumers(record.migrationId));
  // Only a patch still in place can be to blame: a reverted consumer's
  // old breach does not hold the rollout.
  if (consumers.some(c => c.health === 'unhealthy' && isInPlace(c))) {
    return { ready: false };
  }
  const delivered = await deliveredWave(context, record, consumers);
  if (!delivered) return { ready: false };
  const lastDelivery = Math.max(
    0,
    ...delivered.map(c => c.deliveredAt?.getTime() ?? 0),
  );
  const soakEndsAt = new Date(lastDelivery + record.plan.soakMinutes * 60_000);
  if (Date.now() < soakEndsAt.getTime()) {
    return { ready: false, soakEndsAt };
  }
  if (record.plan.health.requireSignals && delivered.length) {
    const reported = await context.rollouts.consumersWithSignalsSince(
      record.migrationId,
      new Map(delivered.map(c => [c.consumerRef, c.deliveredAt!])),
    );
    if (delivered.some(c => !reported.has(c.consumerRef))) {
      return { ready: false, soakEndsAt };
    }
  }
  return { ready: true, soakEndsAt };
}

/**
 * The active wave's delivered consumers, or undefined while one of them
 * still holds the wave (neither delivered, nor rejected, nor held).
 */
async function deliveredWave(
  context: RolloutContext,
  record: RolloutRecord,
  consumers: RolloutConsumer[],
): Promise<RolloutConsumer[] | undefined> {
  const delivered: RolloutConsumer[] = [];
  for (const consumer of consumers) {
    // Rolled back alone: left out until someone resumes it.
    if (consumer.wave !== record.currentWave || consumer.held) continue;
    if (isInPlace(consumer)) {
      delivered.push(consumer);
      continue;
    }
    const current = await context.store.getConsumer(
      record.migrationId,
      consumer.consumerRef,
    );
    // A rejected patch is never delivered: it does not hold the wave.
    if (current?.decision?.decision !== 'reject') return undefined;
  }
  return delivered;
}
