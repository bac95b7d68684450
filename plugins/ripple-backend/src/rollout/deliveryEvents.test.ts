import type { Delivery } from '@ripple/backstage-plugin-ripple-node';
import { isDeepStrictEqual } from 'node:util';
import { sameDelivery } from './deliveryEvents';

/** What the store gives back of a delivery: its JSON. */
const stored = (delivery: Delivery): Delivery =>
  JSON.parse(JSON.stringify(delivery));

describe('sameDelivery', () => {
  const delivered: Delivery = {
    method: 'github-pull-request',
    status: 'delivered',
    url: 'https://github.com/acme/revenue/pull/42',
    branch: 'ripple/x',
    commit: 'abc',
    retry: { attempts: 1, nextAttemptAt: '2026-12-06T08:00:00.000Z' },
  };

  it('says the same as comparing both as stored (JSON), without the round trip', () => {
    const cases: [Delivery, Delivery][] = [
      // A field set to undefined is absent once stored.
      [
        { ...delivered, checks: undefined, message: undefined },
        stored(delivered),
      ],
      // Field order does not matter.
      [
        { status: 'delivered', method: 'm' },
        { method: 'm', status: 'delivered' },
      ],
      [{ ...delivered, checks: 'passing' }, stored(delivered)],
      [{ ...delivered, retry: undefined }, stored(delivered)],
      [
        {
          ...delivered,
          retry: { attempts: 2, nextAttemptAt: '2026-12-06T08:00:00.000Z' },
        },
        stored(delivered),
      ],
      [
        { ...delivered, url: undefined },
        { ...stored(delivered), url: '' },
      ],
    ];
    for (const [a, b] of cases) {
      // The comparison it replaces.
      const json = isDeepStrictEqual(stored(a), stored(b));
      expect({ a, b, same: sameDelivery(a, b) }).toEqual({ a, b, same: json });
    }
    expect(
      sameDelivery({ ...delivered, checks: undefined }, stored(delivered)),
    ).toBe(true);
    expect(
      sameDelivery({ ...delivered, checks: 'failing' }, stored(delivered)),
    ).toBe(false);
  });
});
