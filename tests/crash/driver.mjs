// The people and systems around the backend while it crashes: the dataset's
// owner creates the migration, asks for its analysis and starts the rollout;
// consumers' owners review patches, change their code and merge branches; a
// monitor reports health. Each tick reads where things are and takes the
// next steps, so a step whose request died with the backend is simply taken
// again on a later tick. Everything the backend acknowledged is written to
// the ledger, which the invariants check after every restart.
import { code, commitCode, dataset, mergeBranch, readCode } from './fleet.mjs';

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

/**
 * Runs the migrations one after the other, one per dataset: the next is
 * created when the one before completed, until `stopCreating` (the kills are
 * over) or the last dataset.
 */
export class Driver {
  constructor({ api, consumers, migrations, log }) {
    this.api = api;
    this.consumers = consumers;
    this.migrations = migrations;
    this.log = log;
    this.k = 0;
    this.ids = [];
    this.completed = new Set();
    /** When the driver first saw each consumer's branch delivered. */
    this.seenAt = new Map();
    this.eventsRead = new Set();
    this.stopCreating = false;
    this.ledger = {
      migrations: new Map(),
      reviews: new Map(),
      events: new Map(),
    };
    this.lastEventId = new Map();
    this.done = false;
    this.flags = new Set();
    this.lastSignal = new Map();
    this.actions = {
      requests: 0,
      failedTicks: 0,
      reviews: 0,
      signals: 0,
      merges: 0,
      pauses: 0,
    };
  }

  role(k, name) {
    return this.consumers.find(c => c.in[k].role === name);
  }

  roleOf(k, ref) {
    return this.consumers.find(c => c.ref === ref)?.in[k];
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
      for (const id of this.ids) {
        if (this.eventsRead.has(id)) continue;
        await this.readEvents(id);
        // A completed migration gets no more events: read once more, then no longer.
        if (this.completed.has(id)) this.eventsRead.add(id);
      }
    } catch (error) {
      if (error instanceof Violation) throw error;
      this.actions.failedTicks += 1;
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
    const k = this.k;
    const id = this.ids[k];
    if (!id) {
      if (this.stopCreating && k > 0) this.done = true;
      else await this.createMigration(k);
      return;
    }
    const m = await this.call('get', `/api/ripple/migrations/${id}`);
    if (m.status !== 200)
      throw new Violation(`migration ${id}: ${m.status} ${m.text}`);
    const state = m.body.state;
    if (state === 'draft') {
      await this.call('post', `/api/ripple/migrations/${id}/analyze`);
    } else if (state === 'proposed') {
      await this.beforeStart(k, id);
    } else if (state === 'rolling_out' || state === 'paused') {
      await this.duringRollout(k, id, state);
    } else if (state === 'completed') {
      this.completed.add(id);
      if (k + 1 < this.migrations && !this.stopCreating) {
        this.k += 1;
      } else {
        this.done = true;
      }
    } else if (state !== 'analyzing') {
      throw new Violation(
        `migration ${id} became ${state}, which nobody asked for`,
      );
    }
  }

  async createMigration(k) {
    const d = dataset(k);
    // A create whose answer was lost may have been written: look first.
    const list = await this.call(
      'get',
      `/api/ripple/migrations?dataset=${enc(d.ref)}`,
    );
    if (list.status !== 200) return;
    if (list.body.items.length > 1) {
      throw new Violation(
        `${list.body.items.length} migrations of ${d.ref}; one was created`,
      );
    }
    if (list.body.items.length === 1) {
      this.ids[k] = list.body.items[0].id;
      this.log(
        `migration ${k} ${this.ids[k]} found (its create's answer was lost)`,
      );
      return;
    }
    const res = await this.call('post', '/api/ripple/migrations', {
      datasetRef: d.ref,
      change: d.change,
      title: `Rename amount to amount_usd in ${d.table} (crash test)`,
    });
    if (res.status === 201) {
      this.ids[k] = res.body.id;
      this.ledger.migrations.set(res.body.id, res.body.createdAt);
      this.log(`migration ${k} ${res.body.id} created`);
    }
  }

  async consumersNow(id) {
    const res = await this.call(
      'get',
      `/api/ripple/migrations/${id}/consumers?limit=500`,
    );
    if (res.status !== 200) throw new Error(`consumers: ${res.status}`);
    return res.body.items;
  }

  async review(id, consumer, decision) {
    const patch = consumer.patch;
    if (!patch || patch.stale || consumer.decision?.patchId === patch.id)
      return false;
    const res = await this.call(
      'post',
      `/api/ripple/migrations/${id}/consumers/${enc(
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

  async beforeStart(k, id) {
    let pending = false;
    for (const consumer of await this.consumersNow(id)) {
      const role = this.roleOf(k, consumer.consumerRef)?.role;
      if (role === 'approve' || role === 'reject') {
        pending = (await this.review(id, consumer, role)) || pending;
      }
    }
    if (pending) return; // started on a later tick, once the reviews are read back
    await this.call('post', `/api/ripple/migrations/${id}/rollout/start`, {
      plan: PLAN,
    });
  }

  async duringRollout(k, id, state) {
    const d = dataset(k);
    // The owners change code once the rollout runs: the edited consumer's
    // patch gets a second version, the late consumer starts reading the dataset.
    const edited = this.role(k, 'edited');
    if (!this.flags.has(`edited ${k}`)) {
      const before = await readCode(edited, d.file);
      if (!before.includes(code.edit(d.table))) {
        await commitCode(
          edited,
          d.file,
          before + code.edit(d.table),
          `Add spent to ${d.file}`,
        );
      }
      this.flags.add(`edited ${k}`);
    }
    const late = this.role(k, 'late');
    if (!this.flags.has(`late ${k}`)) {
      await commitCode(late, d.file, code.reads(d.table), `Read ${d.table}`);
      this.flags.add(`late ${k}`);
    }
    const consumers = await this.consumersNow(id);
    const rolloutRes = await this.call(
      'get',
      `/api/ripple/migrations/${id}/rollout`,
    );
    if (rolloutRes.status !== 200) return;
    const rollout = rolloutRes.body;
    const byRef = new Map(consumers.map(c => [c.consumerRef, c]));
    // A person approves the patch the engine could not finish alone.
    const needsEdit = byRef.get(this.role(k, 'needsEdit').ref);
    if (needsEdit && !needsEdit.decision)
      await this.review(id, needsEdit, 'approve');
    // Owners merge about half of the branches delivered to them at once,
    // the others a few seconds later: a wave soaks only once every one of
    // its consumers runs the patch, so each waits for its merge.
    for (const consumer of consumers) {
      const fleet = this.consumers.find(c => c.ref === consumer.consumerRef);
      const branch = consumer.delivery?.branch;
      // Per commit: a patch delivered again (a new version) is merged again.
      const key = `merged ${k} ${fleet?.name} ${consumer.delivery?.commit}`;
      const seen = `delivered ${k} ${fleet?.name}`;
      if (consumer.delivery?.status === 'delivered' && !this.seenAt.has(seen)) {
        this.seenAt.set(seen, Date.now());
      }
      const late = Date.now() - (this.seenAt.get(seen) ?? Date.now()) > 3000;
      if (
        (fleet?.in[k].merge || late) &&
        consumer.delivery?.status === 'delivered' &&
        branch &&
        !this.flags.has(key)
      ) {
        await mergeBranch(fleet, branch);
        this.flags.add(key);
        this.actions.merges += 1;
      }
    }
    // The operator pauses once the second wave runs, and resumes.
    if (
      state === 'rolling_out' &&
      !this.flags.has(`paused ${k}`) &&
      (rollout.currentWave ?? 0) >= 1
    ) {
      const res = await this.call(
        'post',
        `/api/ripple/migrations/${id}/rollout/pause`,
        { reason: PAUSE_REASON },
      );
      if (res.status === 200) {
        this.flags.add(`paused ${k}`);
        this.actions.pauses += 1;
      }
      return;
    }
    if (state === 'paused') {
      if (rollout.pausedReason !== PAUSE_REASON) {
        throw new Violation(
          `the rollout of ${id} paused by itself: ${rollout.pausedReason}`,
        );
      }
      await this.call(
        'post',
        `/api/ripple/migrations/${id}/rollout/resume`,
        {},
      );
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
      const key = `${id} ${consumer.consumerRef}`;
      if (Date.now() - (this.lastSignal.get(key) ?? 0) < 1500) continue;
      const res = await this.call(
        'post',
        `/api/ripple/migrations/${id}/consumers/${enc(
          consumer.consumerRef,
        )}/health`,
        {
          signals: { errorRate: 0, rowCount: 1000, failedRuns: 0 },
          observedAt: new Date().toISOString(),
        },
      );
      if (res.status === 200) {
        this.lastSignal.set(key, Date.now());
        this.actions.signals += 1;
      }
    }
  }

  /** Reads a timeline's new events into the ledger. */
  async readEvents(id) {
    for (;;) {
      const after = this.lastEventId.get(id) ?? 0;
      const res = await this.call(
        'get',
        `/api/ripple/migrations/${id}/events?after=${after}&limit=500`,
      );
      if (res.status !== 200) return;
      for (const event of res.body.items) {
        if (event.id <= (this.lastEventId.get(id) ?? 0)) {
          throw new Violation(
            `event ${event.id} came after ${this.lastEventId.get(id)}`,
          );
        }
        this.ledger.events.set(event.id, eventKey(event));
        this.lastEventId.set(id, event.id);
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
