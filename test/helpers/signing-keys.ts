import type { JWK } from 'jose';
import { sql } from 'kysely';
import type { Db } from '../../src/db/database.ts';

/** The kids a server publishes at /jwks, in its order. */
export async function publishedKids(serverUrl: string): Promise<string[]> {
  const jwks = (await (await fetch(new URL('/jwks', serverUrl))).json()) as { keys: JWK[] };
  return jwks.keys.map((key) => key.kid!);
}

/** Moves every signing key timestamp back, as if that much time had passed. */
export async function travelInTime(db: Db, seconds: number): Promise<void> {
  const shift = sql`make_interval(secs => ${seconds})`;
  await sql`update signing_keys set created_at = created_at - ${shift}, activates_at = activates_at - ${shift},
    retired_at = retired_at - ${shift}, unpublish_after = unpublish_after - ${shift}`.execute(db);
}
