import { CompiledQuery, Compilable, Kysely } from 'kysely';

/**
 * A query built and compiled once by the query layer (so its SQL is right for the dialect
 * in use), then run with fresh parameters. For the statements on the ingestion path, where
 * building and compiling the query tree on every request cost more than running it.
 * `build` receives placeholders and must use them in the order the parameters will come.
 * `DB`: the application's tables.
 */
export class PreparedQuery<DB, Row> {
  private sql: string | null = null;

  constructor(
    private readonly parameterCount: number,
    private readonly build: (db: Kysely<DB>, placeholders: readonly null[]) => Compilable<Row>,
  ) {}

  async execute(executor: Kysely<DB>, parameters: readonly unknown[]): Promise<Row[]> {
    const result = await executor.executeQuery<Row>(this.compile(executor, parameters));
    return result.rows;
  }

  /** For a statement returning no rows: how many rows it inserted, updated or deleted. */
  async run(executor: Kysely<DB>, parameters: readonly unknown[]): Promise<number> {
    const result = await executor.executeQuery<Row>(this.compile(executor, parameters));
    return Number(result.numAffectedRows ?? 0);
  }

  /** The query with these parameters (for `Store.readNow`). */
  compile(executor: Kysely<DB>, parameters: readonly unknown[]): CompiledQuery<Row> {
    if (parameters.length !== this.parameterCount) {
      throw new Error(`expected ${this.parameterCount} parameters, got ${parameters.length}`);
    }
    if (this.sql === null) {
      const compiled = this.build(executor, new Array<null>(this.parameterCount).fill(null)).compile();
      if (compiled.parameters.length !== this.parameterCount) {
        throw new Error(
          `the query compiled to ${compiled.parameters.length} parameters, not ${this.parameterCount}`,
        );
      }
      this.sql = compiled.sql;
    }
    return CompiledQuery.raw(this.sql, [...parameters]);
  }
}

/** A row whose columns are the placeholders, in order: the `values()` of a prepared insert. */
export function placeholderRow<Row>(
  columns: readonly (keyof Row & string)[],
  placeholders: readonly null[],
): Row {
  return Object.fromEntries(columns.map((column, i) => [column, placeholders[i]])) as unknown as Row;
}
