import type { Claim, RolloutStore } from '../database/RolloutStore';

type ClaimStore = Pick<
  RolloutStore,
  'claim' | 'renewClaim' | 'release' | 'claimTimeoutMs'
>;

/** How often a held claim is renewed: three times per claim timeout. */
const RENEWALS_PER_TIMEOUT = 3;

/** How often a runner waiting for a claim tries again. */
const WAIT_POLL_MS = 200;

/** Renews a claim on a timer until stopped, or until the claim is gone. */
class Renewal {
  private readonly timer: NodeJS.Timeout;
  private inFlight: Promise<void> | undefined;
  /** The claim as last renewed; undefined once released or lost. */
  private held: Claim | undefined;

  constructor(
    private readonly rollouts: ClaimStore,
    private readonly key: { migrationId: string; consumerRef: string },
    claim: Claim,
  ) {
    this.held = claim;
    this.timer = setInterval(
      () => this.renew(),
      Math.max(1, rollouts.claimTimeoutMs / RENEWALS_PER_TIMEOUT),
    );
    this.timer.unref?.();
  }

  /** Stops renewing; the claim still held, once any renewal in flight is done. */
  async stop(): Promise<Claim | undefined> {
    clearInterval(this.timer);
    await this.inFlight;
    return this.held;
  }

  private renew() {
    const claim = this.held;
    // One renewal at a time; none once the claim is gone (the work's own
    // write released it, or it was taken over after a stall).
    if (this.inFlight || !claim) return;
    this.inFlight = this.rollouts
      .renewClaim(this.key.migrationId, this.key.consumerRef, claim)
      .then(
        renewed => {
          this.held = renewed;
          if (!renewed) clearInterval(this.timer);
        },
        // The database did not answer: the claim stands until it times out,
        // and the next tick tries again.
        () => undefined,
      )
      .finally(() => {
        this.inFlight = undefined;
      });
  }
}

/**
 * Runs `work` under a claim on a consumer (a delivery, a sync or a revert:
 * docs/rollout.md, "Claims"), and releases the claim after it, whatever
 * `work` did. While `work` runs the claim is renewed every third of the
 * claim timeout, so a slow method call keeps it however long it takes, and
 * only a dead runner's claim runs out. `work` may release the claim itself
 * with its write (`recordDelivery`): the claim is a token, so the release
 * after it cannot free another runner's claim taken meanwhile.
 *
 * Undefined when the consumer could not be claimed: another runner holds
 * it, still after `waitMs` when given (an action waits for a sync or
 * delivery in flight, seconds; the scheduled step leaves the consumer to
 * its next run).
 */
export async function withClaim<T>(
  rollouts: ClaimStore,
  key: { migrationId: string; consumerRef: string },
  work: () => Promise<T>,
  options: { waitMs?: number } = {},
): Promise<{ value: T } | undefined> {
  const claim = await acquire(rollouts, key, options.waitMs ?? 0);
  if (!claim) return undefined;
  const renewal = new Renewal(rollouts, key, claim);
  try {
    return { value: await work() };
  } finally {
    const held = await renewal.stop();
    if (held) {
      await rollouts.release(key.migrationId, key.consumerRef, held);
    }
  }
}

/** Claims a consumer, retrying for up to `waitMs` while another runner holds it. */
async function acquire(
  rollouts: ClaimStore,
  key: { migrationId: string; consumerRef: string },
  waitMs: number,
): Promise<Claim | undefined> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const claim = await rollouts.claim(key.migrationId, key.consumerRef);
    if (claim) return claim;
    if (Date.now() >= deadline) return undefined;
    await new Promise(resolve => setTimeout(resolve, WAIT_POLL_MS));
  }
}
