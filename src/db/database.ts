import { Kysely, PostgresDialect, type PostgresPool, type PostgresPoolClient } from 'kysely';
import pg from 'pg';
import type { Logger } from '../log.ts';
import { describeDatabaseError, unavailableOr } from './database-unavailable.ts';
import type { Database } from './schema.ts';

export type Db = Kysely<Database>;

export interface DatabaseOptions {
  maxConnections?: number;
  /** Server-side limit of one statement (`statement_timeout`), which cancels it cleanly. */
  statementTimeoutMs?: number;
}

/** A database that cannot be reached answers in this time, so that requests answer 503 within 5 s. */
const connectionTimeoutMs = 2_000;
const defaultStatementTimeoutMs = 4_000;
/** A transaction left open by a stuck request does not hold its locks for long. */
const idleInTransactionTimeoutMs = 10_000;

/**
 * The pool hands Kysely clients whose failures are typed: an unreachable or restarting database
 * becomes DatabaseUnavailableError (answered 503 with Retry-After), whatever query met it.
 */
function translatingPool(pool: pg.Pool): PostgresPool {
  return {
    // Kysely cancels aborted queries through a control client of the pool's own Client class.
    Client: (pool as unknown as { Client: PostgresPool['Client'] }).Client,
    options: pool.options,
    async connect(): Promise<PostgresPoolClient> {
      const client = await pool.connect().catch((error: unknown) => {
        throw unavailableOr(error);
      });
      return {
        get processID() {
          return (client as unknown as { processID?: number }).processID;
        },
        query: ((...args: unknown[]) => {
          const result = (client.query as (...a: unknown[]) => unknown)(...args);
          return result instanceof Promise
            ? result.catch((error: unknown) => {
                throw unavailableOr(error);
              })
            : result;
        }) as PostgresPoolClient['query'],
        release: (destroy?: boolean) => client.release(destroy),
      };
    },
    end: () => pool.end(),
  };
}

/**
 * A Kysely on a pg pool that survives the database going away: every client, idle or checked out
 * by a request, has an error listener (a connection lost while checked out otherwise emits an
 * unhandled 'error' and ends the process), each such error is one log line, broken clients leave
 * the pool, and connecting and statements are bounded in time so that nothing hangs.
 */
export function createDatabase(connectionString: string, logger: Logger, options: DatabaseOptions = {}): Db {
  const pool = new pg.Pool({
    connectionString,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: connectionTimeoutMs,
    keepAlive: true,
    idle_in_transaction_session_timeout: idleInTransactionTimeoutMs,
    statement_timeout: options.statementTimeoutMs ?? defaultStatementTimeoutMs,
  });
  pool.on('connect', (client) => {
    client.on('error', (error) => logger.warn({ err: describeDatabaseError(error) }, 'database connection lost'));
  });
  // An idle client's error reaches its own listener above too: logged once, there.
  pool.on('error', () => {});
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool: translatingPool(pool) }) });
}
