import pg from 'pg';

export interface LargeDatabase {
  accounts: number;
  tokens: number;
  seedSeconds: number;
}

/**
 * `--large`: fills the bench's database to production size in SQL (generate_series, no round trip
 * per row): `accounts` accounts with the bench user's password hash, and `tokens` live access and
 * refresh tokens of those accounts in oidc_models (half each, one grant per pair, expiring in a
 * day, so none is purged meanwhile), then ANALYZE, as autovacuum would have by then.
 */
export async function seedLargeDatabase(
  databaseUrl: string,
  userEmail: string,
  clientId: string,
  counts: Omit<LargeDatabase, 'seedSeconds'>,
): Promise<LargeDatabase> {
  const started = performance.now();
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(
      `insert into accounts (email, email_verified, name, password_hash, password_changed_at)
       select 'seeded.' || n || '@example.com', true, 'Seeded account ' || n, (select password_hash from accounts where email = $1), now()
       from generate_series(1, $2::int) as n`,
      [userEmail, counts.accounts],
    );
    await client.query(
      `with seeded as (
         select row_number() over () as n, id from accounts where email like 'seeded.%' limit $2::int
       ), tokens as (
         select t, case when t % 2 = 0 then 'AccessToken' else 'RefreshToken' end as model, s.id::text as account_id
         from generate_series(1, $1::int) as t
         join seeded s on s.n = 1 + (t - 1) % (select count(*) from seeded)
       )
       insert into oidc_models (model, id, payload, grant_id, account_id, expires_at)
       select model, md5('token' || t) || md5('id' || t), jsonb_build_object(
           'kind', model, 'jti', md5('token' || t) || md5('id' || t), 'accountId', account_id, 'clientId', $3::text,
           'grantId', 'seeded-grant-' || (t + 1) / 2, 'scope', 'openid email offline_access',
           'iat', extract(epoch from now())::int, 'exp', extract(epoch from now() + interval '1 day')::int),
         'seeded-grant-' || (t + 1) / 2, account_id, now() + interval '1 day'
       from tokens`,
      [counts.tokens, counts.accounts, clientId],
    );
    await client.query('analyze accounts');
    await client.query('analyze oidc_models');
  } finally {
    await client.end();
  }
  return { ...counts, seedSeconds: (performance.now() - started) / 1000 };
}
