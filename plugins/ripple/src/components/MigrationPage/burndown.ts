import type { MigrationEvent } from '@ripple/backstage-plugin-ripple-common';

export type BurndownPoint = { at: number; remaining: number };

/**
 * Consumers remaining over time, replayed from the timeline: a consumer
 * counts from when it is found until its patch is merged (or its code needs
 * no change), and counts again when its patch is reverted or a new version
 * of a patch is proposed for it.
 */
export function burndown(
  events: MigrationEvent[],
  now = Date.now(),
): BurndownPoint[] {
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
      points.push({
        at: Date.parse(event.createdAt),
        remaining: remaining.size,
      });
    }
  }
  if (points.length > 0) points.push({ at: now, remaining: remaining.size });
  return points;
}

/** The end of a target date (`2027-03-31`): its last millisecond, UTC, as the backend counts it. */
export function deadlineEnd(targetDate: string): number {
  return Date.parse(`${targetDate}T23:59:59.999Z`);
}

/**
 * Where the burndown is heading at its current rate: the consumers done
 * since the peak (the most remaining) over the time since then. `finishAt`
 * is when none would remain at that rate; absent when nothing has been
 * done since the peak (no rate to project), and `now` when none remain.
 */
export type BurndownProjection = {
  /** Consumers done per day since the peak. */
  perDay: number;
  finishAt?: number;
};

export function projection(
  points: BurndownPoint[],
  now = Date.now(),
): BurndownProjection | undefined {
  if (points.length === 0) return undefined;
  const last = points[points.length - 1];
  if (last.remaining === 0) return { perDay: 0, finishAt: now };
  // The latest peak: the rate since the backlog last grew.
  let peak = points[0];
  for (const p of points) if (p.remaining >= peak.remaining) peak = p;
  const done = peak.remaining - last.remaining;
  const elapsed = now - peak.at;
  if (done <= 0 || elapsed <= 0) return { perDay: 0 };
  const perMs = done / elapsed;
  return {
    perDay: perMs * 86_400_000,
    finishAt: now + last.remaining / perMs,
  };
}
