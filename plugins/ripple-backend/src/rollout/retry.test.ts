import { ConfigReader } from '@backstage/config';
import { TransientDeliveryError } from '@ripple/backstage-plugin-ripple-node';
import type { RolloutConsumer } from '../database/RolloutStore';
import { dueForDelivery, retryLater } from './retry';

const NOW = Date.parse('2026-12-06T08:00:00Z');
const config = new ConfigReader({});
const at = (ms: number) => new Date(NOW + ms).toISOString();

describe('retries of transient delivery failures', () => {
  it('backs off from a minute, doubling up to an hour', () => {
    let previous;
    const delays: number[] = [];
    for (let i = 0; i < 9; i++) {
      previous = retryLater({
        previous,
        method: 'github-pull-request',
        error: new TransientDeliveryError('GitHub answered 502'),
        config,
        now: NOW,
      });
      delays.push((Date.parse(previous.retry!.nextAttemptAt) - NOW) / 1000);
    }
    expect(delays).toEqual([60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]);
    expect(previous).toEqual({
      method: 'github-pull-request',
      status: 'pending',
      message: `GitHub answered 502 (attempt 9; trying again at ${at(
        3600_000,
      )})`,
      retry: { attempts: 9, nextAttemptAt: at(3600_000) },
    });
  });

  it('waits until the time the remote asked for when it is later, at most a day', () => {
    const error = (ms: number) =>
      new TransientDeliveryError('rate limited', {
        retryAfter: new Date(NOW + ms),
      });
    const next = (ms: number) =>
      retryLater({
        previous: undefined,
        method: 'm',
        error: error(ms),
        config,
        now: NOW,
      }).retry!.nextAttemptAt;
    expect(next(15 * 60_000)).toBe(at(15 * 60_000));
    expect(next(10_000)).toBe(at(60_000));
    expect(next(30 * 24 * 3600_000)).toBe(at(24 * 3600_000));
  });

  it('starts counting again after an attempt that was not transient, and reads its delays from config', () => {
    const configured = new ConfigReader({
      ripple: {
        rollout: { retry: { firstDelaySeconds: 5, maxDelaySeconds: 7 } },
      },
    });
    const first = retryLater({
      previous: {
        method: 'm',
        status: 'failed',
        retry: { attempts: 4, nextAttemptAt: at(0) },
      },
      method: 'm',
      error: new TransientDeliveryError('x'),
      config: configured,
      now: NOW,
    });
    expect(first.retry).toEqual({ attempts: 1, nextAttemptAt: at(5000) });
    const second = retryLater({
      previous: first,
      method: 'm',
      error: new TransientDeliveryError('x'),
      config: configured,
      now: NOW,
    });
    expect(second.retry).toEqual({ attempts: 2, nextAttemptAt: at(7000) });
  });

  it('leaves a consumer alone until its next attempt is due', () => {
    const consumer = (nextAttemptAt?: string): RolloutConsumer => ({
      consumerRef: 'component:default/a',
      wave: 0,
      position: 0,
      held: false,
      health: 'unknown',
      updatedAt: new Date(NOW),
      delivery: {
        method: 'm',
        status: 'pending',
        updatedAt: at(0),
        state: {
          method: 'm',
          status: 'pending',
          ...(nextAttemptAt ? { retry: { attempts: 1, nextAttemptAt } } : {}),
        },
      } as RolloutConsumer['delivery'],
    });
    expect(dueForDelivery(consumer(), NOW)).toBe(true);
    expect(dueForDelivery(consumer(at(1000)), NOW)).toBe(false);
    expect(dueForDelivery(consumer(at(0)), NOW)).toBe(true);
  });
});
