import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type Json<T> = ColumnType<T, string, string>;

export interface OidcModelTable {
  model: string;
  id: string;
  payload: Json<Record<string, unknown>>;
  grant_id: string | null;
  user_code: string | null;
  uid: string | null;
  account_id: string | null;
  expires_at: NullableTimestamp;
  consumed_at: NullableTimestamp;
}

export interface ClientTable {
  id: string;
  name: string;
  metadata: Json<Record<string, unknown>>;
  secret_encrypted: string | null;
  first_party: Generated<boolean>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}
export type ClientRow = Selectable<ClientTable>;
export type NewClientRow = Insertable<ClientTable>;

export interface AccountTable {
  id: Generated<string>;
  email: string;
  email_verified: Generated<boolean>;
  name: string | null;
  given_name: string | null;
  family_name: string | null;
  locale: string | null;
  password_hash: string | null;
  password_changed_at: NullableTimestamp;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}
export type AccountRow = Selectable<AccountTable>;
export type NewAccountRow = Insertable<AccountTable>;
export type AccountUpdate = Updateable<AccountTable>;

export interface SigningKeyTable {
  kid: string;
  alg: string;
  public_jwk: Json<Record<string, unknown>>;
  private_jwk_encrypted: string;
  created_at: Timestamp;
  activates_at: Timestamp;
  retired_at: NullableTimestamp;
  unpublish_after: NullableTimestamp;
}
export type SigningKeyRow = Selectable<SigningKeyTable>;

export interface ResourceServerTable {
  identifier: string;
  name: string;
  scopes: ColumnType<string[], string[] | undefined, string[]>;
  signing_alg: Generated<string>;
  access_token_ttl_seconds: number | null;
  created_at: Generated<Date>;
}
export type ResourceServerRow = Selectable<ResourceServerTable>;

export type AccountTokenPurpose = 'email_verification' | 'invitation' | 'password_reset';

export interface AccountTokenTable {
  id: Generated<string>;
  account_id: string;
  purpose: AccountTokenPurpose;
  token_hash: string;
  expires_at: Timestamp;
  consumed_at: NullableTimestamp;
  created_at: Generated<Date>;
}
export type AccountTokenRow = Selectable<AccountTokenTable>;

export type OutgoingMailStatus = 'pending' | 'sent' | 'failed';

export interface OutgoingMailTable {
  id: Generated<string>;
  recipient: string;
  template: string;
  locale: string;
  content_encrypted: string;
  status: Generated<OutgoingMailStatus>;
  attempts: Generated<number>;
  next_attempt_at: Generated<Date>;
  last_error: string | null;
  created_at: Generated<Date>;
  sent_at: NullableTimestamp;
}
export type OutgoingMailRow = Selectable<OutgoingMailTable>;
export type NewOutgoingMailRow = Insertable<OutgoingMailTable>;

export interface Database {
  oidc_models: OidcModelTable;
  clients: ClientTable;
  accounts: AccountTable;
  signing_keys: SigningKeyTable;
  resource_servers: ResourceServerTable;
  account_tokens: AccountTokenTable;
  outgoing_mails: OutgoingMailTable;
}
