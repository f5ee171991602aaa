import type { Kysely, Migration } from 'kysely';
import { composeMigrations } from './migrations';

describe('composeMigrations', () => {
  const ran: string[] = [];
  const step = (label: string): Migration => ({
    up: (_db: Kysely<unknown>) => {
      ran.push(label);
      return Promise.resolve();
    },
  });

  beforeEach(() => ran.splice(0));

  it('runs the parts of a name several features give in the order of the features, each other name as given', async () => {
    const migrations = composeMigrations(
      { '0001_shared': step('a1'), '0002_a': step('a2') },
      { '0001_shared': step('b1'), '0003_b': step('b3') },
    );
    expect(Object.keys(migrations).sort()).toEqual(['0001_shared', '0002_a', '0003_b']);
    for (const name of Object.keys(migrations).sort()) await migrations[name].up({} as Kysely<unknown>);
    expect(ran).toEqual(['a1', 'b1', 'a2', 'b3']);
  });
});
