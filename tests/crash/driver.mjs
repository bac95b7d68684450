// The people and systems around the backend while it crashes: the dataset's
// owner creates the migration, asks for its analysis and starts the rollout;
// consumers' owners review patches, change their code and merge branches; a
// monitor reports health. Each tick reads where things are and takes the
// next steps, so a step whose request died with the backend is simply taken
// again on a later tick. Everything the backend acknowledged is written to
// the ledger, which the invariants check after every restart.
import {
  CHANGE,
  DATASET_REF,
  EDIT,
  commitCode,
  mergeBranch,
  readCode,
} from './fleet.mjs';

const enc = encodeURIComponent;

export const PLAN = {
  waves: [
    { name: 'canary', count: 1 },
    { name: '30%', percent: 30 },
    { name: '60%', percent: 60 },
    { name: '100%', percent: 100 },
  ],
  soakMinutes: 0,
  autoAdvance: true,
  autoApprove: true,
  health: { requireSignals: true },
};
const PAUSE_REASON = 'crash test: paused by the operator';
const LATE_CODE = 'SELECT o.id, o.amount\nFROM proj.ds.orders AS o\n';

export class Driver {
  constructor({ api, consumers, log }) {
    this.api = api;
    this.consumers = consumers;
    this.byRef = new Map(consumers.map(c => [c.ref, c]));
    this.log = log;
    this.migrationId = undefined;
    this.ledger = {
      migrations: new Map(),
      reviews: new Map(),
      events: new Map(),
    };
    this.lastEventId = 0;
    this.done = false;
    this.flags = { edited: false, late: false, paused: false, resumed: false };
    this.merged = new Set();
    this.lastSignal = new Map();
    this.actions = {
      requests: 0,
      failedRequests: 0,
      reviews: 0,
      signals: 0,
      merges: 0,
    };
  }

  role(name) {
    return this.consumers.find(c => c.role === name);
  }

  /**
   * One tick; a request that fails (the backend died) ends it quietly. A
   * tick still running (cut short by its caller's clock) is joined, never
   * run twice at once.
   */
  tick() {
    this.running ??= this.tickOnce().finally(() => (this.running = undefined));
    return this.running;
  }

  async tickOnce() {
    try {
      await this.step();
      await this.readEvents();
    } catch (error) {
      if (error instanceof Violation) throw error;
      this.actions.failedRequests += 1;
    }
  }

  async call(method, url, body) {
    this.actions.requests += 1;
    const res = await this.api[method](url, body);
    if (res.status >= 500) {
      throw new Violation(
        `${method.toUpperCase()} ${url} answered ${res.status}: ${res.text}`,
      );
    }
    return res;
  }

  async step() {
    if (!this.migrationId) {
      await this.createMigration();
      return;
    }
    const m = await this.call(
      'get',
      `/api/ripple/migrations/${this.migrationId}`,
    );
    if (m.status !== 200)
      throw new Violation(
        `migration ${this.migrationId}: ${m.status} ${m.text}`,
      );
    const state = m.body.state;
    if (state === 'draft') {
      await this.call(
        'post',
        `/api/ripple/migrations/${this.migrationId}/analyze`,
      );
    } else if (state === 'proposed') {
      await this.beforeStart();
    } else if (state === 'rolling_out' || state === 'paused') {
      await this.duringRollout(state);
    } else if (state === 'completed') {
      this.done = true;
    } else if (state !== 'analyzing') {
      throw new Violation(
        `the migration became ${state}, which nobody asked for`,
      );
    }
  }

  async createMigration() {
    // A create whose answer was lost may have been written: look first.
    const list = await this.call(
      'get',
      `/api/ripple/migrations?dataset=${enc(DATASET_REF)}`,
    );
    if (list.status !== 200) return;
    if (list.body.items.length > 1) {
      throw new Violation(
        `${list.body.items.length} migrations of ${DATASET_REF}; one was created`,
      );
    }
    if (list.body.items.length === 1) {
      this.migrationId = list.body.items[0].id;
      this.log(
        `migration ${this.migrationId} found (its create's answer was lost)`,
      );
      return;
    }
    const res = await this.call('post', '/api/ripple/migrations', {
      datasetRef: DATASET_REF,
      change: CHANGE,
      title: 'Rename amount to amount_usd (crash test)',
    });
    if (res.status === 201) {
      this.migrationId = res.body.id;
      this.ledger.migrations.set(res.body.id, res.body.createdAt);
      this.log(`migration ${this.migrationId} created`);
    }
  }

  async consumersNow() {
    const res = await this.call(
      'get',
      `/api/ripple/migrations/${this.migrationId}/consumers?limit=500`,
    );
    if (res.status !== 200) throw new Error(`consumers: ${res.status}`);
    return res.body.items;
  }

  async review(consumer, decision) {
    const patch = consumer.patch;
    if (!patch || patch.stale || consumer.decision?.patchId === patch.id)
      return false;
    const res = await this.call(
      'post',
      `/api/ripple/migrations/${this.migrationId}/consumers/${enc(
        consumer.consumerRef,
      )}/review`,
      { decision, patchId: patch.id, comment: 'crash test' },
    );
    if (res.status === 201) {
      this.actions.reviews += 1;
      this.ledger.reviews.set(res.body.id, {
        consumerRef: consumer.consumerRef,
        patchId: patch.id,
        decision,
      });
    }
    return true;
  }

  async beforeStart() {
    let pending = false;
    for (const consumer of await this.consumersNow()) {
      const role = this.byRef.get(consumer.consumerRef)?.role;
      if (role === 'approve' || role === 'reject') {
        pending = (await this.review(consumer, role)) || pending;
      }
    }
    if (pending) return; // started on a later tick, once the reviews are read back
    await this.call(
      'post',
      `/api/ripple/migrations/${this.migrationId}/rollout/start`,
      { plan: PLAN },
    );
  }

  async duringRollout(state) {
    // The owners change code once the rollout runs: the edited consumer's
    // patch gets a second version, the late consumer starts reading the dataset.
    const edited = this.role('edited');
    if (!this.flags.edited) {
      const code = await readCode(edited);
      if (!code.includes(EDIT))
        await commitCode(edited, code + EDIT, 'Add spent');
      this.flags.edited = true;
    }
    const late = this.role('late');
    if (!this.flags.late) {
      await commitCode(late, LATE_CODE, 'Read the orders');
      this.flags.late = true;
    }
    const consumers = await this.consumersNow();
    const rolloutRes = await this.call(
      'get',
      `/api/ripple/migrations/${this.migrationId}/rollout`,
    );
    if (rolloutRes.status !== 200) return;
    const rollout = rolloutRes.body;
    const byRef = new Map(consumers.map(c => [c.consumerRef, c]));
    // A person approves the patch the engine could not finish alone.
    const needsReview = byRef.get(this.role('needsReview').ref);
    if (needsReview && !needsReview.decision)
      await this.review(needsReview, 'approve');
    // Owners merge about half of the branches delivered to them.
    for (const consumer of consumers) {
      const fleet = this.byRef.get(consumer.consumerRef);
      const branch = consumer.delivery?.branch;
      if (
        fleet?.merge &&
        consumer.delivery?.status === 'delivered' &&
        branch &&
        !this.merged.has(fleet.name)
      ) {
        await mergeBranch(fleet, branch);
        this.merged.add(fleet.name);
        this.actions.merges += 1;
      }
    }
    // The operator pauses once the second wave runs, and resumes.
    if (
      state === 'rolling_out' &&
      !this.flags.paused &&
      (rollout.currentWave ?? 0) >= 1
    ) {
      const res = await this.call(
        'post',
        `/api/ripple/migrations/${this.migrationId}/rollout/pause`,
        {
          reason: PAUSE_REASON,
        },
      );
      if (res.status === 200) this.flags.paused = true;
      return;
    }
    if (state === 'paused') {
      if (rollout.pausedReason !== PAUSE_REASON) {
        throw new Violation(
          `the rollout paused by itself: ${rollout.pausedReason}`,
        );
      }
      const res = await this.call(
        'post',
        `/api/ripple/migrations/${this.migrationId}/rollout/resume`,
        {},
      );
      if (res.status === 200) this.flags.resumed = true;
      return;
    }
    // The monitor reports every delivered consumer healthy, once the late
    // consumer joined and the edited one has its second version: until then
    // no wave may advance, so both changes happen while the rollout runs.
    const lateIn = byRef.get(late.ref)?.wave !== undefined;
    const editedV2 = (byRef.get(edited.ref)?.patch?.version ?? 0) >= 2;
    if (!lateIn || !editedV2) return;
    for (const consumer of consumers) {
      const status = consumer.delivery?.status;
      if (status !== 'delivered' && status !== 'merged') continue;
      const last = this.lastSignal.get(consumer.consumerRef) ?? 0;
      if (Date.now() - last < 1500) continue;
      const res = await this.call(
        'post',
        `/api/ripple/migrations/${this.migrationId}/consumers/${enc(
          consumer.consumerRef,
        )}/health`,
        {
          signals: { errorRate: 0, rowCount: 1000, failedRuns: 0 },
          observedAt: new Date().toISOString(),
        },
      );
      if (res.status === 200) {
        this.lastSignal.set(consumer.consumerRef, Date.now());
        this.actions.signals += 1;
      }
    }
  }

  /** Reads the timeline's new events into the ledger. */
  async readEvents() {
    if (!this.migrationId) return;
    for (;;) {
      const res = await this.call(
        'get',
        `/api/ripple/migrations/${this.migrationId}/events?after=${this.lastEventId}&limit=500`,
      );
      if (res.status !== 200) return;
      for (const event of res.body.items) {
        if (event.id <= this.lastEventId) {
          throw new Violation(
            `event ${event.id} came after ${this.lastEventId}`,
          );
        }
        this.ledger.events.set(event.id, eventKey(event));
        this.lastEventId = event.id;
      }
      if (res.body.items.length < 500) return;
    }
  }
}

export function eventKey(event) {
  return JSON.stringify([
    event.type,
    event.consumerRef ?? null,
    event.actor ?? null,
    event.message,
    event.data ?? null,
    event.createdAt,
  ]);
}

/** A broken invariant: the run stops and says what. */
export class Violation extends Error {}
