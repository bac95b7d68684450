import { TestDatabases } from '@backstage/backend-test-utils';
import type { Knex } from 'knex';
import fs from 'node:fs';
import path from 'node:path';

jest.setTimeout(60_000);

const migrationsDir = path.resolve(__dirname, '../../migrations');
const tables = [
  'migration',
  'migration_event',
  'migration_consumer',
  'patch',
  'patch_reason_kind',
  'review',
  'rollout',
  'rollout_wave',
  'rollout_consumer',
  'health_signal',
  'compat_view',
  'openlineage_run',
  'openlineage_job_dataset',
  'dataset_schema',
  'engine_canary',
  'engine_canary_consumer',
  'owner_notification',
  'notification_cursor',
  'migration_step_plan',
  'migration_step',
  'migration_consumer_count',
];

/** A proposed migration with one consumer, as raw rows; the consumer's row. */
async function insertConsumer(knex: Knex, migrationId: string) {
  const now = new Date();
  await knex('migration').insert({
    id: migrationId,
    dataset_ref: 'resource:default/orders',
    change: '{}',
    title: 't',
    owner: 'group:default/data-platform',
    state: 'proposed',
    created_by: 'user:default/guest',
    created_at: now,
    updated_at: now,
  });
  const [consumer] = await knex('migration_consumer')
    .insert({
      migration_id: migrationId,
      consumer_ref: 'component:default/jaffle-dbt',
      discovered_by: 'catalog',
      created_at: now,
      updated_at: now,
    })
    .returning('id');
  return consumer;
}

describe('knex migrations', () => {
  const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

  it.each(databases.eachSupportedId())(
    'are applied up and rolled back down on %s',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const files = fs
        .readdirSync(migrationsDir)
        .filter(f => f.endsWith('.js'));

      // One file at a time, as an upgrade from each earlier version would.
      for (let i = 0; i < files.length; i++) {
        await knex.migrate.up({ directory: migrationsDir });
      }
      const [, pending] = await knex.migrate.list({ directory: migrationsDir });
      expect(pending).toEqual([]);
      for (const table of tables) {
        expect(await knex.schema.hasTable(table)).toBe(true);
      }

      // A row in every table, linked as the store links them.
      const now = new Date();
      const consumer = await insertConsumer(
        knex,
        '00000000-0000-0000-0000-000000000001',
      );
      const [patch] = await knex('patch')
        .insert({
          consumer_id: consumer.id,
          version: 1,
          diff: '',
          base_hash: 'h',
          status: 'unaffected',
          reasons: '[]',
          created_at: now,
        })
        .returning('id');
      await knex('review').insert({
        patch_id: patch.id,
        sequence: 1,
        decision: 'approve',
        reviewer: 'user:default/guest',
        created_at: now,
      });
      // (The drivers' errors come from outside Jest's realm, so they are
      // matched by message rather than with toThrow.)
      // Two reviews with the same sequence number for one patch: the race the
      // store turns into a conflict.
      await expect(
        knex('review').insert({
          patch_id: patch.id,
          sequence: 1,
          decision: 'reject',
          reviewer: 'user:default/other',
          created_at: now,
        }),
      ).rejects.toHaveProperty('message', expect.stringMatching(/unique/i));
      await expect(
        knex('migration_consumer').insert({
          migration_id: '00000000-0000-0000-0000-000000000001',
          consumer_ref: 'component:default/jaffle-dbt',
          discovered_by: 'code',
          created_at: now,
          updated_at: now,
        }),
      ).rejects.toHaveProperty('message', expect.stringMatching(/unique/i));

      await knex('openlineage_run').insert({
        run_id: '00000000-0000-0000-0000-0000000000aa',
        job_key: 'k'.repeat(64),
        job_namespace: 'dbt',
        job_name: 'x'.repeat(1024),
        state: 'COMPLETE',
        state_event_time: now,
        started_at: now,
        ended_at: now,
        output_rows: 2 ** 40,
        error_message: null,
        created_at: now,
        updated_at: now,
      });
      expect(Number((await knex('openlineage_run').first()).output_rows)).toBe(
        2 ** 40,
      );

      for (let i = 0; i < files.length; i++) {
        await knex.migrate.down({ directory: migrationsDir });
      }
      for (const table of tables) {
        expect(await knex.schema.hasTable(table)).toBe(false);
      }

      // And up again, from nothing.
      await knex.migrate.latest({ directory: migrationsDir });
      for (const table of tables) {
        expect(await knex.schema.hasTable(table)).toBe(true);
      }
    },
  );

  it.each(databases.eachSupportedId())(
    "renames the engine's stored verdict needs_review to needs_edit, and back on %s",
    async databaseId => {
      const knex = await databases.init(databaseId);
      const files = fs
        .readdirSync(migrationsDir)
        .filter(f => f.endsWith('.js'))
        .sort();
      const rename = files.indexOf('20261208_needs_edit.js');
      expect(rename).toBeGreaterThan(0);
      for (let i = 0; i < rename; i++) {
        await knex.migrate.up({ directory: migrationsDir });
      }
      const now = new Date();
      const consumer = await insertConsumer(
        knex,
        '00000000-0000-0000-0000-000000000002',
      );
      const patch = (version: number, status: string) => ({
        consumer_id: consumer.id,
        version,
        diff: '',
        base_hash: 'h',
        status,
        reasons: '[]',
        created_at: now,
      });
      await knex('patch').insert([
        patch(1, 'needs_review'),
        patch(2, 'rewritten'),
      ]);
      const statuses = async () =>
        (await knex('patch').orderBy('version')).map(p => p.status);

      await knex.migrate.up({ directory: migrationsDir });
      expect(await statuses()).toEqual(['needs_edit', 'rewritten']);
      await knex.migrate.down({ directory: migrationsDir });
      expect(await statuses()).toEqual(['needs_review', 'rewritten']);
    },
  );

  it.each(databases.eachSupportedId())(
    'gives stored reasons their kind, severity and place, and takes them back, on %s',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const files = fs
        .readdirSync(migrationsDir)
        .filter(f => f.endsWith('.js'))
        .sort();
      const kinds = files.indexOf('20261215_reason_kinds.js');
      expect(kinds).toBeGreaterThan(0);
      for (let i = 0; i < kinds; i++) {
        await knex.migrate.up({ directory: migrationsDir });
      }
      const consumer = await insertConsumer(
        knex,
        '00000000-0000-0000-0000-000000000003',
      );
      // Reasons as the engine and the backend wrote them before.
      const legacy = [
        {
          path: 'a.sql',
          message: 'line 3, column 8: reads `legacy`, which the change drops',
        },
        {
          path: 'a.sql',
          message:
            'line 4, column 1: `id` could come from any of proj.ds.orders, c',
        },
        {
          path: 'a.sql',
          message:
            'output column names are kept (`new AS old`), since the rewrite with new names did not verify: x',
        },
        { path: 'b.sql', message: 'line 1, column 1: something new' },
      ];
      const notes = [
        {
          path: 'c.sql',
          message:
            'line 2, column 5: reads `id`, whose type changes to STRING; no edit needed',
        },
      ];
      const failed = [
        {
          path: 'd.py',
          message:
            'component:default/x: d.py: the engine failed: internal error',
        },
      ];
      const now = new Date();
      const patch = (version: number, status: string, reasons: object[]) => ({
        consumer_id: consumer.id,
        version,
        diff: '',
        base_hash: 'h',
        status,
        reasons: JSON.stringify(reasons),
        created_at: now,
      });
      await knex('patch').insert([
        patch(1, 'needs_edit', legacy),
        patch(2, 'unaffected', notes),
        patch(3, 'error', failed),
        patch(4, 'rewritten', []),
      ]);
      const stored = async () =>
        (await knex('patch').orderBy('version')).map(p =>
          JSON.parse(p.reasons),
        );

      await knex.migrate.up({ directory: migrationsDir });
      const [first, second, third, fourth] = await stored();
      expect(first).toEqual([
        {
          path: 'a.sql',
          kind: 'dropped_column_used',
          severity: 'needs_edit',
          line: 3,
          column: 8,
          endLine: 3,
          endColumn: 8,
          message: 'reads `legacy`, which the change drops',
        },
        expect.objectContaining({
          kind: 'ambiguous_name',
          severity: 'needs_edit',
          line: 4,
          column: 1,
        }),
        {
          path: 'a.sql',
          kind: 'output_names_kept',
          severity: 'note',
          message: legacy[2].message,
        },
        expect.objectContaining({
          kind: 'unclassified',
          severity: 'needs_edit',
          message: 'something new',
        }),
      ]);
      expect(second).toEqual([
        expect.objectContaining({
          kind: 'retyped_column_used',
          severity: 'note',
          line: 2,
          column: 5,
        }),
      ]);
      expect(third).toEqual([
        {
          path: 'd.py',
          kind: 'engine_failed',
          severity: 'error',
          message: failed[0].message,
        },
      ]);
      expect(fourth).toEqual([]);
      const kindRows = await knex('patch_reason_kind')
        .join('patch', 'patch.id', 'patch_reason_kind.patch_id')
        .orderBy(['patch.version', 'patch_reason_kind.kind'])
        .select('patch.version', 'patch_reason_kind.kind');
      expect(kindRows.map(r => `${r.version} ${r.kind}`)).toEqual([
        '1 ambiguous_name',
        '1 dropped_column_used',
        '1 output_names_kept',
        '1 unclassified',
        '2 retyped_column_used',
        '3 engine_failed',
      ]);

      await knex.migrate.down({ directory: migrationsDir });
      expect(await knex.schema.hasTable('patch_reason_kind')).toBe(false);
      expect(await stored()).toEqual([legacy, notes, failed, []]);
    },
  );

  it.each(databases.eachSupportedId())(
    'counts the statements of validations finished before, and drops the counts, on %s',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const files = fs
        .readdirSync(migrationsDir)
        .filter(f => f.endsWith('.js'))
        .sort();
      const counts = files.indexOf('20261221_validation_counts.js');
      expect(counts).toBeGreaterThan(0);
      for (let i = 0; i < counts; i++) {
        await knex.migrate.up({ directory: migrationsDir });
      }
      const consumer = await insertConsumer(
        knex,
        '00000000-0000-0000-0000-000000000004',
      );
      const now = new Date();
      const [patch] = await knex('patch')
        .insert({
          consumer_id: consumer.id,
          version: 1,
          diff: '-a\n+b\n',
          base_hash: 'h',
          status: 'rewritten',
          reasons: '[]',
          created_at: now,
        })
        .returning('id');
      const statement = (status: string) => ({
        path: 'q.sql',
        line: 1,
        status,
      });
      const validation = (run: number, statements: object[] | null) => ({
        patch_id: patch.id,
        run,
        warehouse: 'wh',
        status: statements ? 'failed' : null,
        statements: statements && JSON.stringify(statements),
        requested_at: now,
        finished_at: statements ? now : null,
      });
      await knex('validation').insert([
        validation(1, [
          statement('passed'),
          statement('failed'),
          statement('failed'),
          statement('skipped'),
          statement('error'),
        ]),
        validation(2, []),
        // Asked for, not run: nothing to count.
        validation(3, null),
      ]);

      await knex.migrate.up({ directory: migrationsDir });
      const rows = await knex('validation')
        .orderBy('run')
        .select(
          'passed_statements',
          'failed_statements',
          'skipped_statements',
          'error_statements',
        );
      expect(rows.map(r => Object.values(r).map(Number))).toEqual([
        [1, 2, 1, 1],
        [0, 0, 0, 0],
        [0, 0, 0, 0],
      ]);

      await knex.migrate.down({ directory: migrationsDir });
      expect(
        await knex.schema.hasColumn('validation', 'passed_statements'),
      ).toBe(false);
      // The validations themselves stay.
      expect(
        (await knex('validation').orderBy('run')).map(r => r.status),
      ).toEqual(['failed', 'failed', null]);
    },
  );

  it.each(databases.eachSupportedId())(
    "adds the drafts' schema table and migration columns, and removes them, on %s",
    async databaseId => {
      const knex = await databases.init(databaseId);
      const files = fs
        .readdirSync(migrationsDir)
        .filter(f => f.endsWith('.js'))
        .sort();
      const drafts = files.indexOf('20261222_schema_drafts.js');
      expect(drafts).toBeGreaterThan(0);
      for (let i = 0; i < drafts; i++) {
        await knex.migrate.up({ directory: migrationsDir });
      }
      // A migration from before: no origin, as one a person created.
      await insertConsumer(knex, '00000000-0000-0000-0000-000000000005');

      await knex.migrate.up({ directory: migrationsDir });
      const [before] = await knex('migration').select('origin', 'suggestions');
      expect(before).toEqual({ origin: null, suggestions: null });
      await knex('dataset_schema').insert({
        dataset_ref: 'resource:default/orders',
        columns: '[{"name":"id"}]',
        hash: 'h',
        seen_at: new Date(),
      });
      // One row per dataset.
      await expect(
        knex('dataset_schema').insert({
          dataset_ref: 'resource:default/orders',
          columns: '[]',
          hash: 'g',
          seen_at: new Date(),
        }),
      ).rejects.toHaveProperty(
        'message',
        expect.stringMatching(/unique|duplicate/i),
      );
      await knex('migration').update({
        origin: 'schema-change',
        suggestions: '[]',
        undecided: '[]',
        impact_summary: '{"total":0}',
        pending_notification: '{}',
        schema_before: '[]',
        suggestion_decisions: '{}',
      });

      await knex.migrate.down({ directory: migrationsDir });
      expect(await knex.schema.hasTable('dataset_schema')).toBe(false);
      for (const column of [
        'origin',
        'suggestions',
        'undecided',
        'impact_summary',
        'pending_notification',
        'schema_before',
        'suggestion_decisions',
      ]) {
        expect(await knex.schema.hasColumn('migration', column)).toBe(false);
      }
      // The migration itself stays.
      expect(Number((await knex('migration').count({ n: '*' }))[0].n)).toBe(1);
    },
  );
  it.each(databases.eachSupportedId())(
    'records engine versions on patches, and one canary per version with one sample row per consumer, on %s',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const files = fs
        .readdirSync(migrationsDir)
        .filter(f => f.endsWith('.js'))
        .sort();
      const versions = files.indexOf('20270103_engine_versions.js');
      expect(versions).toBeGreaterThan(0);
      for (let i = 0; i < versions; i++) {
        await knex.migrate.up({ directory: migrationsDir });
      }
      // A patch from before: no engine version.
      const consumer = await insertConsumer(
        knex,
        '00000000-0000-0000-0000-000000000007',
      );
      const patch = {
        consumer_id: consumer.id,
        version: 1,
        diff: '',
        base_hash: 'h',
        status: 'unaffected',
        reasons: '[]',
        created_at: new Date(),
      };
      await knex('patch').insert(patch);

      await knex.migrate.up({ directory: migrationsDir });
      const [before] = await knex('patch').select('id', 'engine_version');
      expect(before.engine_version).toBeNull();
      await knex('patch').insert({
        ...patch,
        version: 2,
        engine_version: '0.9.0',
      });
      const canary = {
        engine_version: '1.0.0',
        previous_versions: '["0.9.0"]',
        state: 'sampling',
        created_at: new Date(),
      };
      const [{ id: canaryId }] = await knex('engine_canary')
        .insert(canary)
        .returning('id');
      await expect(knex('engine_canary').insert(canary)).rejects.toHaveProperty(
        'message',
        expect.stringMatching(/unique|duplicate/i),
      );
      const sample = {
        canary_id: canaryId,
        migration_id: '00000000-0000-0000-0000-000000000007',
        consumer_ref: 'component:default/jaffle-dbt',
        patch_id: before.id,
        outcome: 'unchanged',
        diff: '',
        status: 'unaffected',
        reasons: '[]',
        base_hash: 'h',
        created_at: new Date(),
      };
      await knex('engine_canary_consumer').insert(sample);
      await expect(
        knex('engine_canary_consumer').insert(sample),
      ).rejects.toHaveProperty(
        'message',
        expect.stringMatching(/unique|duplicate/i),
      );

      await knex.migrate.down({ directory: migrationsDir });
      expect(await knex.schema.hasTable('engine_canary')).toBe(false);
      expect(await knex.schema.hasTable('engine_canary_consumer')).toBe(false);
      expect(await knex.schema.hasColumn('patch', 'engine_version')).toBe(
        false,
      );
      // The patches themselves stay.
      expect(Number((await knex('patch').count({ n: '*' }))[0].n)).toBe(2);
    },
  );

  it.each(databases.eachSupportedId())(
    'adds target dates, the notification ledger and its cursor at the newest event, and removes them, on %s',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const files = fs
        .readdirSync(migrationsDir)
        .filter(f => f.endsWith('.js'))
        .sort();
      const people = files.indexOf('20270102_people.js');
      expect(people).toBeGreaterThan(0);
      for (let i = 0; i < people; i++) {
        await knex.migrate.up({ directory: migrationsDir });
      }
      // A portal with a history: its past is not notified after the upgrade.
      const migrationId = '00000000-0000-0000-0000-000000000007';
      await insertConsumer(knex, migrationId);
      for (const type of ['created', 'state-changed']) {
        await knex('migration_event').insert({
          migration_id: migrationId,
          type,
          message: type,
          created_at: new Date(),
        });
      }
      // Each given its place on the timeline, as a read gives it.
      await knex('migration_event').update({ seq: knex.ref('id') });
      const newest = await knex('migration_event').max('id as id').first();

      await knex.migrate.up({ directory: migrationsDir });
      expect(
        await knex('notification_cursor').select('name', 'event_id'),
      ).toEqual([{ name: 'events', event_id: Number(newest?.id) }]);
      const [before] = await knex('migration').select('target_date');
      expect(before).toEqual({ target_date: null });
      await knex('migration').update({ target_date: '2027-03-31' });
      const row = {
        key: `created:${migrationId}:component:default/jaffle-dbt`,
        kind: 'created',
        migration_id: migrationId,
        consumer_ref: 'component:default/jaffle-dbt',
        recipients: '["component:default/jaffle-dbt"]',
        payload: '{}',
        status: 'pending',
        created_at: new Date(),
      };
      await knex('owner_notification').insert(row);
      // One row per key: what a second sender finds already there.
      await expect(
        knex('owner_notification').insert(row),
      ).rejects.toHaveProperty(
        'message',
        expect.stringMatching(/unique|duplicate/i),
      );

      await knex.migrate.down({ directory: migrationsDir });
      expect(await knex.schema.hasTable('owner_notification')).toBe(false);
      expect(await knex.schema.hasTable('notification_cursor')).toBe(false);
      expect(await knex.schema.hasColumn('migration', 'target_date')).toBe(
        false,
      );
      expect(Number((await knex('migration').count({ n: '*' }))[0].n)).toBe(1);
    },
  );

  it.each(databases.eachSupportedId())(
    'adds the kill switch and the once-only events, and takes them back, on %s',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const files = fs
        .readdirSync(migrationsDir)
        .filter(f => f.endsWith('.js'))
        .sort();
      const timing = files.indexOf('20270101_timing.js');
      expect(timing).toBeGreaterThan(0);
      for (let i = 0; i < timing; i++) {
        await knex.migrate.up({ directory: migrationsDir });
      }
      const migrationId = '00000000-0000-0000-0000-000000000007';
      await insertConsumer(knex, migrationId);
      await knex.migrate.up({ directory: migrationsDir });
      // A migration from before runs: it is not stopped.
      expect(await knex('migration').first('stopped_at', 'stopped_by')).toEqual(
        { stopped_at: null, stopped_by: null },
      );
      await knex('migration').update({
        stopped_at: new Date(),
        stopped_by: 'user:default/guest',
        stopped_reason: 'why',
      });
      const event = (dedupe_key: string | null) => ({
        migration_id: migrationId,
        type: 'timing-warning',
        message: 'm',
        created_at: new Date(),
        dedupe_key,
      });
      // Events without a key are as many as ever; a key is recorded once.
      await knex('migration_event').insert([event(null), event(null)]);
      await knex('migration_event').insert(event('cycle:a,b'));
      await expect(
        knex('migration_event').insert(event('cycle:a,b')),
      ).rejects.toHaveProperty(
        'message',
        expect.stringMatching(/unique|duplicate/i),
      );

      await knex.migrate.down({ directory: migrationsDir });
      for (const column of ['stopped_at', 'stopped_by', 'stopped_reason']) {
        expect(await knex.schema.hasColumn('migration', column)).toBe(false);
      }
      expect(await knex.schema.hasColumn('migration_event', 'dedupe_key')).toBe(
        false,
      );
      // On SQLite, knex drops a column by rebuilding the table, and
      // rebuilding `migration` cascades to its events: a down migration
      // there loses them, as the earlier ones that drop migration columns
      // do. PostgreSQL keeps them.
      const events = Number(
        (await knex('migration_event').count({ n: '*' }))[0].n,
      );
      expect(events).toBe(databaseId === 'SQLITE_3' ? 0 : 3);
    },
  );

  it.each(databases.eachSupportedId())(
    'adds the step plans and their steps (one row per step, gone with the plan), and takes them back, on %s',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const files = fs
        .readdirSync(migrationsDir)
        .filter(f => f.endsWith('.js'))
        .sort();
      const steps = files.indexOf('20270104_steps.js');
      expect(steps).toBeGreaterThan(0);
      for (let i = 0; i < steps; i++) {
        await knex.migrate.up({ directory: migrationsDir });
      }
      const migrationId = '00000000-0000-0000-0000-000000000008';
      await insertConsumer(knex, migrationId);
      await knex.migrate.up({ directory: migrationsDir });
      const now = new Date();
      await knex('migration_step_plan').insert({
        migration_id: migrationId,
        plan: '{"steps":[]}',
        warehouse: 'example',
        mode: 'run',
        created_by: 'user:default/guest',
        created_at: now,
      });
      const step = {
        migration_id: migrationId,
        name: 'backfill',
        position: 1,
        state: 'running',
        attempt: 1,
        checkpoint: '{"lastKey":1000,"rowsDone":1000,"batches":1}',
        rows_total: 2 ** 40,
        rows_done: 1000,
        updated_at: now,
        lease_owner: 'runner',
        lease_until: now,
      };
      await knex('migration_step').insert(step);
      expect(
        Number((await knex('migration_step').first('rows_total')).rows_total),
      ).toBe(2 ** 40);
      // One row per step of a plan.
      await expect(knex('migration_step').insert(step)).rejects.toHaveProperty(
        'message',
        expect.stringMatching(/unique|duplicate/i),
      );
      // A plan with no migration is refused, and goes with its migration.
      await expect(
        knex('migration_step_plan').insert({
          migration_id: '00000000-0000-0000-0000-00000000dead',
          plan: '{}',
          warehouse: 'example',
          mode: 'run',
          created_by: 'user:default/guest',
          created_at: now,
        }),
      ).rejects.toHaveProperty('message', expect.stringMatching(/foreign/i));
      await knex('migration').where({ id: migrationId }).delete();
      expect(
        Number((await knex('migration_step').count({ n: '*' }))[0].n),
      ).toBe(0);

      await knex.migrate.down({ directory: migrationsDir });
      expect(await knex.schema.hasTable('migration_step')).toBe(false);
      expect(await knex.schema.hasTable('migration_step_plan')).toBe(false);
    },
  );

  it.each(databases.eachSupportedId())(
    'adds the consumer index (read keys go with their entity), and takes it back, on %s',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const files = fs
        .readdirSync(migrationsDir)
        .filter(f => f.endsWith('.js'))
        .sort();
      const index = files.indexOf('20270106_consumer_index.js');
      expect(index).toBeGreaterThan(0);
      for (let i = 0; i <= index; i++) {
        await knex.migrate.up({ directory: migrationsDir });
      }
      const now = new Date();
      await knex('consumer_index').insert({
        entity_ref: 'component:default/job',
        display_ref: 'component:default/job',
        read_spec: '{"location":"file:///x/","paths":[]}',
        read_key: 'k',
        scanned_at: now,
        code: Buffer.from([0x1f, 0x8b, 0, 1, 2]),
      });
      await knex('consumer_index_read').insert([
        { entity_ref: 'component:default/job', table_key: 'orders' },
        { entity_ref: 'component:default/job', table_key: '*' },
      ]);
      const row = await knex('consumer_index').first('code');
      expect(Buffer.from(row.code)).toEqual(Buffer.from([0x1f, 0x8b, 0, 1, 2]));
      // A read key without its entity is refused, and goes with it.
      await expect(
        knex('consumer_index_read').insert({
          entity_ref: 'component:default/gone',
          table_key: 'orders',
        }),
      ).rejects.toHaveProperty('message', expect.stringMatching(/foreign/i));
      await knex('consumer_index').delete();
      expect(
        Number((await knex('consumer_index_read').count({ n: '*' }))[0].n),
      ).toBe(0);

      await knex.migrate.down({ directory: migrationsDir });
      expect(await knex.schema.hasTable('consumer_index')).toBe(false);
      expect(await knex.schema.hasTable('consumer_index_read')).toBe(false);
      expect(await knex.schema.hasTable('consumer_index_scan')).toBe(false);
    },
  );
});
