import type { AccountRepository } from '../accounts/account.repository.ts';
import type { Db } from '../db/database.ts';
import type { AccountRow } from '../db/schema.ts';
import type { UpstreamProfile } from './upstream-connection.ts';

/** The account name fields an upstream profile carries (a full name built from its parts if missing). */
export function profileNames(profile: UpstreamProfile): { name?: string; given_name?: string; family_name?: string } {
  const name = profile.name ?? ([profile.givenName, profile.familyName].filter(Boolean).join(' ') || undefined);
  return {
    ...(name ? { name } : {}),
    ...(profile.givenName ? { given_name: profile.givenName } : {}),
    ...(profile.familyName ? { family_name: profile.familyName } : {}),
  };
}

/** A new account for a person first seen at an upstream: no password, the upstream is how they sign in. */
export function insertAccountFromProfile(
  accounts: AccountRepository,
  trx: Db,
  profile: UpstreamProfile & { email: string },
  emailVerified: boolean,
): Promise<AccountRow> {
  const names = profileNames(profile);
  return accounts.insert(trx, {
    email: profile.email,
    email_verified: emailVerified,
    name: names.name ?? null,
    given_name: names.given_name ?? null,
    family_name: names.family_name ?? null,
    locale: null,
    password_hash: null,
    password_changed_at: null,
  });
}
