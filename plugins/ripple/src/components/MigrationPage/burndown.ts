import type { MigrationEvent } from '@ripple/backstage-plugin-ripple-common';

export type BurndownPoint = { at: number; remaining: number };

/**
 * Consumers remaining over time, replayed from the timeline: a consumer
 * counts from when it is found until its patch is merged (or its code needs
 * no change), and counts again when its patch is reverted or a new version
 * of a patch is proposed for it.
 */
export function burndown(events: MigrationEvent[], now = Date.now()): BurndownPoint[] {
  const remaining = new Set<string>();
  const points: BurndownPoint[] = [];
  for (const event of [...events].sort((a, b) => a.id - b.id)) {
    const ref = event.consumerRef;
    if (!ref) continue;
    const status = event.data?.status;
    const before = remaining.size;
    switch (event.type) {
      case 'consumer-added':
      case 'patch-reverted':
        remaining.add(ref);
        break;
      case 'patch-proposed':
        if (status === 'unaffected') remaining.delete(ref);
        else remaining.add(ref);
        break;
      case 'patch-delivered':
      case 'delivery-updated':
        if (status === 'merged') remaining.delete(ref);
        break;
      default:
    }
    if (remaining.size !== before || points.length === 0) {
      points.push({ at: Date.parse(event.createdAt), remaining: remaining.size });
    }
  }
  if (points.length > 0) points.push({ at: now, remaining: remaining.size });
  return points;
}
