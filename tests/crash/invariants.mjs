// The invariants the crash test checks after every restart, over what the
// driver was told (its ledger), Ripple's tables (one consistent snapshot of
// PostgreSQL) and the consumers' git repositories. Each failed check is
// reported with what was expected and found; `checks` counts the checks made.
import { pushedCommits } from './fleet.mjs';
import { eventKey } from './driver.mjs';

const DELIVERY = new Set([
  'pending',
  'delivered',
  'merged',
  'failed',
  'reverted',
]);
const HEALTH = new Set(['unknown', 'healthy', 'unhealthy']);
const IN_PLACE = new Set(['delivered', 'merged']);

/** The claim timeout crash.mjs configures (`claimTimeoutMinutes: 0.1`). */
export const CLAIM_TIMEOUT_MS = 6000;

export class Checker {
  constructor({ pg, api, driver, consumers, transitions }) {
    this.pg = pg;
    this.api = api;
    this.driver = driver;
    this.consumers = consumers;
    this.transitions = transitions;
    this.checks = 0;
    this.failures = [];
  }

  expect(ok, message) {
    this.checks += 1;
    if (!ok) this.failures.push(message);
  }

  /**
   * Every check, over every migration of the run; throws with all failures
   * listed. `final`: every migration must have completed.
   */
  async run({ final = false } = {}) {
    this.failures = [];
    this.expect(
      !final || this.driver.ids.length > 0,
      'no migration was created',
    );
    this.ledger(await this.globalSnapshot());
    // The tables first, in one snapshot, then the repositories, then the API:
    // a delivery is pushed before it is recorded, and an event is written
    // before it is served, so what each later read finds must cover what
    // the earlier one says.
    const ids = [...this.driver.ids.entries()].filter(([, id]) => id);
    const dbs = await this.snapshot(ids);
    const events = new Map();
    this.pushed = new Map();
    for (const db of dbs) {
      this.states(db);
      this.timeline(db);
      this.rollout(db);
      await this.repositories(db);
      if (final) this.completion(db);
    }
    for (const [, id] of ids) await this.eventsByApi(id, events);
    // Read after the snapshots: every event the driver read before is there.
    for (const [eventId, key] of this.driver.ledger.events) {
      this.expect(
        events.get(eventId) === key,
        `event ${eventId} (${key}) is ${
          events.has(eventId) ? `now ${events.get(eventId)}` : 'gone'
        }`,
      );
    }
    if (this.failures.length) {
      throw new Error(
        `invariants broken:\n  - ${this.failures.join('\n  - ')}`,
      );
    }
  }

  async globalSnapshot() {
    const client = await this.pg.connect();
    try {
      const migrations = (
        await client.query(
          'SELECT id, dataset_ref, created_at FROM ripple.migration',
        )
      ).rows;
      const ids = [...this.driver.ledger.reviews.keys()];
      const reviews = (
        await client.query(
          'SELECT id, patch_id, decision FROM ripple.review WHERE id = ANY($1)',
          [ids],
        )
      ).rows;
      return { migrations, reviews };
    } finally {
      client.release();
    }
  }

  /** Each migration's rows, `[k, id]` pairs, all in one snapshot. */
  async snapshot(ids) {
    const client = await this.pg.connect();
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const dbs = [];
      for (const [k, id] of ids)
        dbs.push({ k, id, ...(await this.rows(client, id)) });
      await client.query('COMMIT');
      return dbs;
    } finally {
      client.release();
    }
  }

  async rows(client, id) {
    const q = async (sql, params = [id]) =>
      (await client.query(sql, params)).rows;
    const db = {
      migrations: await q(
        'SELECT id, state, created_at FROM ripple.migration',
        [],
      ),
      events: await q(
        'SELECT * FROM ripple.migration_event WHERE migration_id = $1 ORDER BY id',
      ),
      consumers: await q(
        'SELECT * FROM ripple.migration_consumer WHERE migration_id = $1',
      ),
      patches: await q(
        'SELECT p.*, c.consumer_ref FROM ripple.patch p JOIN ripple.migration_consumer c ON c.id = p.consumer_id WHERE c.migration_id = $1',
      ),
      reviews: await q(
        'SELECT r.*, p.consumer_id FROM ripple.review r JOIN ripple.patch p ON p.id = r.patch_id JOIN ripple.migration_consumer c ON c.id = p.consumer_id WHERE c.migration_id = $1',
      ),
      rollout: (
        await q('SELECT * FROM ripple.rollout WHERE migration_id = $1')
      )[0],
      waves: await q(
        'SELECT * FROM ripple.rollout_wave WHERE migration_id = $1 ORDER BY wave_index',
      ),
      rolloutConsumers: await q(
        'SELECT * FROM ripple.rollout_consumer WHERE migration_id = $1',
      ),
    };
    db.migration = db.migrations.find(m => m.id === id);
    for (const e of db.events) e.parsed = e.data ? JSON.parse(e.data) : {};
    return db;
  }

  /** No migration or review the backend acknowledged is lost (events: see run). */
  ledger(db) {
    const { migrations, reviews } = this.driver.ledger;
    for (const [id, createdAt] of migrations) {
      const row = db.migrations.find(m => m.id === id);
      this.expect(
        row && new Date(row.created_at).toISOString() === createdAt,
        `migration ${id}, created (201), is gone`,
      );
    }
    const perDataset = new Map();
    for (const m of db.migrations)
      perDataset.set(m.dataset_ref, (perDataset.get(m.dataset_ref) ?? 0) + 1);
    for (const [ref, n] of perDataset) {
      this.expect(n === 1, `${n} migrations of ${ref}; the driver created one`);
    }
    for (const [id, review] of reviews) {
      const row = db.reviews.find(r => r.id === id);
      this.expect(
        row &&
          row.patch_id === review.patchId &&
          row.decision === review.decision,
        `review ${id} of ${review.consumerRef} (${review.decision} patch ${
          review.patchId
        }), recorded (201), is ${
          row ? `now ${row.decision} of patch ${row.patch_id}` : 'gone'
        }`,
      );
    }
  }

  /** Every state is legal, and the timeline's state moves lead to it. */
  states(db) {
    const state = db.migration?.state;
    this.expect(
      state in this.transitions,
      `migration state ${state} is not a state`,
    );
    let at = 'draft';
    for (const e of db.events.filter(e => e.type === 'state-changed')) {
      const { from, to } = e.parsed;
      this.expect(
        from === at,
        `event ${e.id}: state-changed from ${from}, but the migration was ${at}`,
      );
      this.expect(
        this.transitions[from]?.includes(to),
        `event ${e.id}: ${from} -> ${to} is not a legal move`,
      );
      at = to;
    }
    this.expect(
      at === state,
      `the timeline's state moves end in ${at}, the migration is ${state}`,
    );
    for (const rc of db.rolloutConsumers) {
      this.expect(
        rc.delivery_status === null || DELIVERY.has(rc.delivery_status),
        `${rc.consumer_ref}: delivery status ${rc.delivery_status}`,
      );
      this.expect(
        HEALTH.has(rc.health),
        `${rc.consumer_ref}: health ${rc.health}`,
      );
    }
    for (const p of db.patches) {
      this.expect(
        ['rewritten', 'unaffected', 'needs_edit', 'error'].includes(p.status),
        `patch ${p.id}: status ${p.status}`,
      );
    }
    for (const r of db.reviews) {
      this.expect(
        ['approve', 'reject'].includes(r.decision),
        `review ${r.id}: decision ${r.decision}`,
      );
    }
  }

  /** Each change has its event, once (they are written in one transaction). */
  timeline(db) {
    const count = (type, pred = () => true) =>
      db.events.filter(e => e.type === type && pred(e)).length;
    this.expect(count('created') === 1, `${count('created')} created events`);
    for (const c of db.consumers) {
      const added = count(
        'consumer-added',
        e => e.consumer_ref === c.consumer_ref,
      );
      const removed = count(
        'consumer-removed',
        e => e.consumer_ref === c.consumer_ref,
      );
      this.expect(
        added - removed === (c.removed_at ? 0 : 1),
        `${c.consumer_ref}: ${added} consumer-added and ${removed} consumer-removed events, removed_at ${c.removed_at}`,
      );
    }
    const byConsumer = new Map();
    for (const p of db.patches) {
      const n = count('patch-proposed', e => e.parsed.patchId === p.id);
      this.expect(
        n === 1,
        `patch ${p.id} (${p.consumer_ref} v${p.version}) has ${n} patch-proposed events`,
      );
      byConsumer.set(p.consumer_id, [
        ...(byConsumer.get(p.consumer_id) ?? []),
        p,
      ]);
    }
    for (const c of db.consumers) {
      const versions = (byConsumer.get(c.id) ?? []).sort(
        (a, b) => a.version - b.version,
      );
      versions.forEach((p, i) =>
        this.expect(
          p.version === i + 1,
          `${c.consumer_ref}: patch versions ${versions.map(v => v.version)}`,
        ),
      );
      const latest = versions.at(-1);
      this.expect(
        (c.current_patch_id ?? undefined) === latest?.id,
        `${c.consumer_ref}: current patch ${c.current_patch_id}, latest ${latest?.id}`,
      );
      const reviews = db.reviews
        .filter(r => r.patch_id === latest?.id)
        .sort((a, b) => a.sequence - b.sequence);
      reviews.forEach((r, i) =>
        this.expect(
          r.sequence === i + 1,
          `${c.consumer_ref}: review sequences ${reviews.map(x => x.sequence)}`,
        ),
      );
      this.expect(
        (c.current_review_id ?? undefined) === reviews.at(-1)?.id,
        `${c.consumer_ref}: current review ${c.current_review_id}, latest ${
          reviews.at(-1)?.id
        }`,
      );
    }
    for (const r of db.reviews) {
      const n = count('review-recorded', e => e.parsed.reviewId === r.id);
      this.expect(n === 1, `review ${r.id} has ${n} review-recorded events`);
    }
  }

  /** The waves, the deliveries and their events agree, and only approved patches went out. */
  rollout(db) {
    const started = db.events.filter(e => e.type === 'rollout-started').length;
    this.expect(
      started === (db.rollout ? 1 : 0),
      `${started} rollout-started events, rollout row ${
        db.rollout ? 'present' : 'absent'
      }`,
    );
    if (!db.rollout) return;
    let open = 0;
    db.waves.forEach((w, i) => {
      this.expect(
        w.wave_index === i,
        `wave indices ${db.waves.map(x => x.wave_index)}`,
      );
      const prev = db.waves[i - 1];
      if (w.started_at)
        this.expect(
          !prev || prev.started_at,
          `wave ${i} started before wave ${i - 1}`,
        );
      if (w.completed_at)
        this.expect(
          w.started_at && w.completed_at >= w.started_at,
          `wave ${i} completed but not started`,
        );
      if (w.started_at && !w.completed_at) open += 1;
      const ws = db.events.filter(
        e => e.type === 'wave-started' && e.parsed.wave === i,
      ).length;
      const wc = db.events.filter(
        e => e.type === 'wave-completed' && e.parsed.wave === i,
      ).length;
      this.expect(
        ws === (w.started_at ? 1 : 0),
        `wave ${i}: ${ws} wave-started events, started_at ${w.started_at}`,
      );
      this.expect(
        wc === (w.completed_at ? 1 : 0),
        `wave ${i}: ${wc} wave-completed events, completed_at ${w.completed_at}`,
      );
    });
    this.expect(open <= 1, `${open} waves active at once`);
    const current = db.waves.filter(w => w.started_at).at(-1)?.wave_index ?? 0;
    this.expect(
      db.rollout.current_wave === current,
      `rollout at wave ${db.rollout.current_wave}, the last started is ${current}`,
    );
    const reviewsOf = patchId =>
      db.reviews
        .filter(r => r.patch_id === patchId)
        .sort((a, b) => a.sequence - b.sequence);
    for (const rc of db.rolloutConsumers) {
      const ref = rc.consumer_ref;
      if (rc.delivery_status) {
        this.expect(
          db.waves[rc.wave_index]?.started_at,
          `${ref}: delivery ${rc.delivery_status} in wave ${rc.wave_index}, not started`,
        );
      }
      if (IN_PLACE.has(rc.delivery_status)) {
        const patch = db.patches.find(p => p.id === rc.delivered_patch_id);
        this.expect(
          patch?.consumer_ref === ref,
          `${ref}: delivered patch ${rc.delivered_patch_id} is not its own`,
        );
        const reviews = reviewsOf(rc.delivered_patch_id);
        this.expect(
          reviews.some(r => r.decision === 'approve'),
          `${ref}: patch ${rc.delivered_patch_id} delivered without an approval`,
        );
        this.expect(
          !reviews.some(r => r.decision === 'reject'),
          `${ref}: patch ${rc.delivered_patch_id} delivered though rejected`,
        );
        const delivered = db.events.filter(
          e => e.type === 'patch-delivered' && e.consumer_ref === ref,
        );
        this.expect(
          delivered.length >= 1,
          `${ref}: ${rc.delivery_status} without a patch-delivered event`,
        );
      }
      const fleet = this.consumers.find(c => c.ref === ref);
      if (fleet?.in[db.k].role === 'reject') {
        this.expect(
          !IN_PLACE.has(rc.delivery_status),
          `${ref}: its rejected patch is ${rc.delivery_status}`,
        );
      }
    }
    // One patch-delivered event per consumer and commit.
    const seen = new Set();
    for (const e of db.events.filter(x => x.type === 'patch-delivered')) {
      const key = `${e.consumer_ref} ${e.parsed.commit}`;
      this.expect(
        !seen.has(key),
        `${e.consumer_ref}: commit ${e.parsed.commit} delivered twice (event ${e.id})`,
      );
      seen.add(key);
    }
  }

  /** No consumer gets two branches, or two commits, for one patch. */
  async repositories(db) {
    const short = db.id.split('-')[0];
    for (const consumer of this.consumers) {
      // Read once per round, after the tables' snapshots: whatever those
      // say was delivered was pushed before.
      if (!this.pushed.has(consumer.name))
        this.pushed.set(consumer.name, await pushedCommits(consumer));
      const all = this.pushed.get(consumer.name);
      const ours = all.branches.filter(b => b.startsWith(`ripple/${short}/`));
      const pushed = {
        commits: all.commits.filter(c =>
          c.branch.startsWith(`ripple/${short}/`),
        ),
      };
      this.expect(
        ours.length <= 1,
        `${consumer.name}: branches ${ours.join(', ')} for one migration`,
      );
      const byPatch = new Map();
      for (const c of pushed.commits) {
        this.expect(
          c.patch,
          `${consumer.name}: commit ${c.sha} on ${c.branch} has no Ripple-Patch trailer`,
        );
        byPatch.set(c.patch, new Set([...(byPatch.get(c.patch) ?? []), c.sha]));
        const patch = db.patches.find(p => String(p.id) === c.patch);
        // The repositories are read after the tables: a patch proposed,
        // approved and pushed since is newer than every patch there.
        const newer =
          Number(c.patch) > Math.max(0, ...db.patches.map(p => p.id));
        this.expect(
          patch ? patch.consumer_ref === consumer.ref : newer,
          `${consumer.name}: commit ${c.sha} carries patch ${c.patch}, not one of its patches`,
        );
      }
      for (const [patch, shas] of byPatch) {
        this.expect(
          shas.size === 1,
          `${consumer.name}: patch ${patch} pushed as ${shas.size} commits (${[
            ...shas,
          ].join(', ')})`,
        );
      }
      if (consumer.in[db.k].role === 'reject') {
        this.expect(
          pushed.commits.length === 0,
          `${consumer.name}: its rejected patch was pushed`,
        );
      }
      const rc = db.rolloutConsumers.find(r => r.consumer_ref === consumer.ref);
      if (rc && IN_PLACE.has(rc.delivery_status)) {
        const delivery = JSON.parse(rc.delivery ?? '{}');
        const commit = delivery.commit ?? delivery.state?.commit;
        this.expect(
          !commit || pushed.commits.some(c => c.sha === commit),
          `${consumer.name}: delivered commit ${commit} was never pushed`,
        );
      }
    }
  }

  /** The timeline as the API serves it, into `into` (id -> key). */
  async eventsByApi(id, into) {
    // Read before the timeline: what the driver had read up to then.
    const readUpTo = this.driver.lastEventId.get(id) ?? 0;
    let after = 0;
    for (;;) {
      const res = await this.api.get(
        `/api/ripple/migrations/${id}/events?after=${after}&limit=500`,
      );
      if (res.status !== 200)
        throw new Error(`events: ${res.status} ${res.text}`);
      for (const e of res.body.items) {
        into.set(e.id, eventKey(e));
        // An event numbered before one already served, that the driver never
        // got: a reader following `?after=` (the timeline's paging) misses
        // it for good. Ids are taken when a transaction inserts, and
        // transactions commit in any order.
        this.expect(
          e.id > readUpTo || this.driver.ledger.events.has(e.id),
          `event ${e.id} (${e.type}${
            e.consumerRef ? ` of ${e.consumerRef}` : ''
          }) appeared after event ${readUpTo} had been served: a reader paging with ?after= never sees it`,
        );
      }
      if (res.body.items.length < 500) break;
      after = res.body.items.at(-1).id;
    }
  }

  /** The end: completed, every wave done, every approved consumer's last patch delivered, no claim left. */
  completion(db) {
    this.expect(
      db.migration.state === 'completed',
      `migration ${db.k} ${db.id} is ${db.migration.state}, not completed`,
    );
    for (const w of db.waves)
      this.expect(
        w.completed_at,
        `wave ${w.wave_index} (${w.name}) not completed`,
      );
    for (const consumer of this.consumers) {
      const rc = db.rolloutConsumers.find(r => r.consumer_ref === consumer.ref);
      const c = db.consumers.find(x => x.consumer_ref === consumer.ref);
      if (consumer.in[db.k].role === 'reject') continue;
      this.expect(
        rc && IN_PLACE.has(rc.delivery_status),
        `${consumer.name} (${consumer.in[db.k].role}): delivery ${
          rc?.delivery_status ?? 'none; not in the rollout'
        }`,
      );
      if (consumer.in[db.k].role === 'edited') {
        const v2 = db.patches.find(
          p => p.consumer_ref === consumer.ref && p.version === 2,
        );
        this.expect(
          v2 && rc?.delivered_patch_id === v2.id,
          `${consumer.name}: delivered patch ${rc?.delivered_patch_id}, its second version is ${v2?.id}`,
        );
      }
      this.expect(c, `${consumer.name}: not a consumer of the migration`);
    }
    // A claim left by a runner a kill cut is free once it is older than the
    // claim timeout (crash.mjs waits that long before this check); a newer
    // one is held by a live runner after the migration completed.
    for (const rc of db.rolloutConsumers)
      this.expect(
        !rc.claimed_at ||
          Date.now() - new Date(rc.claimed_at).getTime() > CLAIM_TIMEOUT_MS,
        `${rc.consumer_ref}: still claimed since ${rc.claimed_at}`,
      );
  }
}
