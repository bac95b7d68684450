import type { MigrationState } from '@ripple/backstage-plugin-ripple-common';
import type { MigrationStore } from '../database/MigrationStore';

// Rows read at once.
const PAGE = 200;

/** Every migration in `states`, page by page. */
export async function* migrationsIn(
  store: Pick<MigrationStore, 'listMigrations'>,
  states: MigrationState[],
) {
  for (let offset = 0; ; offset += PAGE) {
    const { items } = await store.listMigrations(
      { states },
      { limit: PAGE, offset },
    );
    yield* items;
    if (items.length < PAGE) {
      return;
    }
  }
}
