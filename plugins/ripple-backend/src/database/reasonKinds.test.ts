import type {
  PatchReason,
  PatchReasonKind,
} from '@ripple/backstage-plugin-ripple-common';
import { TestDatabaseId, TestDatabases } from '@backstage/backend-test-utils';
import { DatabaseMigrationStore } from './DatabaseMigrationStore';
import { storedReason } from './rows';
import { applyDatabaseMigrations } from './schema';

jest.setTimeout(60_000);

// The consumer list filtered by the kinds of its current patch's reasons,
// selected in SQL (`patch_reason_kind`), on both databases.
const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

function reason(kind: PatchReasonKind, line = 1): PatchReason {
  return {
    path: 'q.sql',
    kind,
    severity: kind === 'retyped_column_used' ? 'note' : 'needs_edit',
    line,
    column: 8,
    endLine: line,
    endColumn: 14,
    message: `a ${kind}`,
  };
}

async function migrationWithConsumers(databaseId: TestDatabaseId) {
  const knex = await databases.init(databaseId);
  await applyDatabaseMigrations(knex);
  const store = new DatabaseMigrationStore(knex);
  const migration = await store.createMigration({
    datasetRef: 'resource:default/orders',
    change: {
      dataset: 'proj.ds.orders',
      changes: [{ kind: 'drop_column', column: 'legacy' }],
    },
    title: 'Drop legacy',
    owner: 'group:default/data-platform',
    createdBy: 'user:default/guest',
  });
  await store.transition({ migrationId: migration.id, to: 'analyzing' });
  const patched = async (name: string, reasons: PatchReason[]) => {
    const consumerRef = `component:default/${name}`;
    await store.putConsumer({
      migrationId: migration.id,
      consumerRef,
      discoveredBy: 'catalog',
    });
    return store.recordPatch({
      migrationId: migration.id,
      consumerRef,
      diff: '',
      baseHash: `sha256:${name}`,
      status: reasons.length ? 'needs_edit' : 'unaffected',
      reasons,
    });
  };
  return { knex, store, migration, patched };
}

describe.each(databases.eachSupportedId())('reason kinds on %s', databaseId => {
  it('lists only the consumers whose current patch has a reason of the kinds asked', async () => {
    const { store, migration, patched } = await migrationWithConsumers(
      databaseId,
    );
    await patched('a-dropped', [
      reason('dropped_column_used'),
      reason('dropped_column_used', 2),
    ]);
    await patched('b-ambiguous', [
      reason('ambiguous_name'),
      reason('dropped_column_used', 3),
    ]);
    await patched('c-using', [reason('using_join')]);
    await patched('d-clean', []);
    await store.putConsumer({
      migrationId: migration.id,
      consumerRef: 'component:default/e-no-patch',
      discoveredBy: 'catalog',
    });
    const refs = async (reasonKinds: PatchReasonKind[], limit = 10) => {
      const page = await store.listConsumers(
        migration.id,
        { limit, offset: 0 },
        { reasonKinds },
      );
      return {
        refs: page.items.map(c => c.consumerRef.split('/')[1]),
        totalCount: page.totalCount,
      };
    };

    await expect(refs(['dropped_column_used'])).resolves.toEqual({
      refs: ['a-dropped', 'b-ambiguous'],
      totalCount: 2,
    });
    // Any of several kinds; the count is of the consumers kept, not of the page.
    await expect(refs(['using_join', 'ambiguous_name'], 1)).resolves.toEqual({
      refs: ['b-ambiguous'],
      totalCount: 2,
    });
    await expect(refs(['verification_failed'])).resolves.toEqual({
      refs: [],
      totalCount: 0,
    });
    // No kind asked: every consumer.
    await expect(refs([])).resolves.toEqual({
      refs: ['a-dropped', 'b-ambiguous', 'c-using', 'd-clean', 'e-no-patch'],
      totalCount: 5,
    });
  });

  it('filters by the current patch only: a new version with other reasons moves the consumer', async () => {
    const { store, migration, patched } = await migrationWithConsumers(
      databaseId,
    );
    const first = await patched('a', [reason('ambiguous_name')]);
    expect(first.reasons).toEqual([reason('ambiguous_name')]);
    const list = (kind: PatchReasonKind) =>
      store
        .listConsumers(
          migration.id,
          { limit: 10, offset: 0 },
          { reasonKinds: [kind] },
        )
        .then(page => page.totalCount);
    await expect(list('ambiguous_name')).resolves.toBe(1);

    await store.recordPatch({
      migrationId: migration.id,
      consumerRef: 'component:default/a',
      diff: '',
      baseHash: 'sha256:a2',
      status: 'needs_edit',
      reasons: [reason('unparsed_statement')],
    });
    await expect(list('ambiguous_name')).resolves.toBe(0);
    await expect(list('unparsed_statement')).resolves.toBe(1);
  });

  it('keeps each patch kind once, next to the reasons stored whole', async () => {
    const { knex, patched } = await migrationWithConsumers(databaseId);
    const patch = await patched('a', [
      reason('dropped_column_used'),
      reason('dropped_column_used', 2),
      reason('retyped_column_used', 3),
    ]);
    const rows = await knex('patch_reason_kind')
      .where({ patch_id: patch.id })
      .orderBy('kind');
    expect(rows.map(r => r.kind)).toEqual([
      'dropped_column_used',
      'retyped_column_used',
    ]);
    expect(patch.reasons).toHaveLength(3);
  });
});

describe('a reason stored without a kind', () => {
  // Written by an older backend beside a newer one, after the schema
  // migration converted the others.
  it('is read as unclassified, its place out of its message', () => {
    expect(
      storedReason(
        { path: 'q.sql', message: 'line 3, column 8: reads `legacy`' },
        'needs_edit',
      ),
    ).toEqual({
      path: 'q.sql',
      kind: 'unclassified',
      severity: 'needs_edit',
      line: 3,
      column: 8,
      endLine: 3,
      endColumn: 8,
      message: 'reads `legacy`',
    });
    expect(storedReason({ path: '', message: 'x failed' }, 'error')).toEqual({
      path: '',
      kind: 'unclassified',
      severity: 'error',
      message: 'x failed',
    });
    expect(
      storedReason({ path: 'q.sql', message: 'a note' }, 'rewritten').severity,
    ).toBe('note');
  });

  it('is given as it is when it has a kind', () => {
    const kinded = {
      path: 'q.sql',
      kind: 'using_join' as const,
      severity: 'needs_edit' as const,
      message: 'joins by name',
    };
    expect(storedReason(kinded, 'needs_edit')).toBe(kinded);
  });
});
