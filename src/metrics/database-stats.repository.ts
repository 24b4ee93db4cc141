import { sql } from 'kysely';
import type { Db } from '../db/database.ts';

/** What PostgreSQL says about the connections to this service's database, for the metrics. */
export class DatabaseStatsRepository {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  /** Client connections to the current database by state, the one asking excluded. */
  async connectionsByState(): Promise<Array<{ state: string; count: number }>> {
    const { rows } = await sql<{ state: string; count: string }>`
      select coalesce(state, 'unknown') as state, count(*) as count from pg_stat_activity
      where datname = current_database() and backend_type = 'client backend' and pid <> pg_backend_pid()
      group by 1`.execute(this.#db);
    return rows.map((row) => ({ state: row.state, count: Number(row.count) }));
  }
}
