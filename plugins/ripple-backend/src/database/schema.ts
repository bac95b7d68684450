import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { Knex } from 'knex';

/**
 * The plugin's tables: the knex migrations in the package's `migrations/`
 * folder (plain files, shipped in the package; their names and order are
 * what existing databases have recorded, so they never change).
 */
const migrationsDir = resolvePackagePath(
  '@ripple/backstage-plugin-ripple-backend',
  'migrations',
);

/** Applies the plugin's knex migrations (the tables) to `knex`. */
export async function applyDatabaseMigrations(knex: Knex): Promise<void> {
  await knex.migrate.latest({ directory: migrationsDir });
}
