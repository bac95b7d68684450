import type { MigrationEvent } from '@ripple/backstage-plugin-ripple-common';
import { burndown } from './burndown';

let id = 0;
const at = (minute: number) => new Date(Date.UTC(2026, 10, 21, 10, minute)).toISOString();
const event = (minute: number, type: MigrationEvent['type'], consumerRef?: string, data?: Record<string, unknown>): MigrationEvent => ({
  id: ++id, migrationId: 'm1', type, message: type, createdAt: at(minute), consumerRef, data,
});

describe('burndown', () => {
  it('counts consumers from when they are found until merged, skipping those needing no change', () => {
    const points = burndown(
      [
        event(0, 'created'),
        event(1, 'consumer-added', 'a'),
        event(1, 'consumer-added', 'b'),
        event(1, 'consumer-added', 'c'),
        event(2, 'patch-proposed', 'c', { status: 'unaffected' }),
        event(5, 'delivery-updated', 'a', { status: 'merged' }),
        event(6, 'delivery-updated', 'b', { status: 'delivered' }),
        event(7, 'patch-reverted', 'a', { status: 'reverted' }),
        event(9, 'delivery-updated', 'b', { status: 'merged' }),
      ],
      Date.parse(at(10)),
    );
    expect(points.map(p => [new Date(p.at).getUTCMinutes(), p.remaining])).toEqual([
      [1, 1], [1, 2], [1, 3], [2, 2], [5, 1], [7, 2], [9, 1], [10, 1],
    ]);
  });

  it('is empty before any consumer is found', () => {
    expect(burndown([event(0, 'created')])).toEqual([]);
  });
});
