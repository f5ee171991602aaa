import type { Kysely, Migration, MigrationProvider } from 'kysely';

/**
 * The application's migrations, from each feature's: a name several features give (a migration
 * shipped before its parts were split by feature) runs their parts in the order the features
 * are given. Never edit a migration that has shipped: add the next.
 */
export function composeMigrations(...features: Record<string, Migration>[]): Record<string, Migration> {
  const parts = new Map<string, Migration[]>();
  for (const migrations of features) {
    for (const [name, migration] of Object.entries(migrations)) {
      parts.set(name, [...(parts.get(name) ?? []), migration]);
    }
  }
  return Object.fromEntries(
    [...parts].map(([name, [first, ...others]]): [string, Migration] =>
      others.length === 0 ? [name, first] : [name, { up: (db) => runInOrder(db, [first, ...others]) }],
    ),
  );
}

async function runInOrder(db: Kysely<unknown>, migrations: readonly Migration[]): Promise<void> {
  for (const migration of migrations) await migration.up(db);
}

export function migrationProvider(migrations: Record<string, Migration>): MigrationProvider {
  return { getMigrations: () => Promise.resolve(migrations) };
}
