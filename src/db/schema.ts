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
  /** The organization whose admins manage the app; null: a platform app. */
  organization_id: ColumnType<string | null, string | null | undefined, string | null>;
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
  /** Set by an organization admin or SCIM: no sign-in, no token. */
  disabled_at: NullableTimestamp;
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

export interface OrganizationTable {
  id: Generated<string>;
  name: string;
  sso_enforced: Generated<boolean>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}
export type OrganizationRow = Selectable<OrganizationTable>;

export interface OrganizationDomainTable {
  organization_id: string;
  domain: string;
  verification_token: string;
  verified_at: NullableTimestamp;
  verified_by: string | null;
  created_at: Generated<Date>;
}
export type OrganizationDomainRow = Selectable<OrganizationDomainTable>;

export interface OrganizationMemberTable {
  organization_id: string;
  account_id: string;
  created_at: Generated<Date>;
}

export interface FederationConnectionTable {
  id: string;
  organization_id: string | null;
  type: string;
  name: string;
  settings: Json<Record<string, unknown>>;
  secrets_encrypted: string | null;
  enabled: Generated<boolean>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}
export type FederationConnectionRow = Selectable<FederationConnectionTable>;

export interface FederatedIdentityTable {
  connection_id: string;
  subject: string;
  account_id: string;
  email: string | null;
  created_at: Generated<Date>;
  last_sign_in_at: Timestamp;
}
export type FederatedIdentityRow = Selectable<FederatedIdentityTable>;

export interface FederationCallbackTable {
  id: string;
  uid: string;
  connection_id: string;
  payload_encrypted: string;
  expires_at: Timestamp;
}

export interface SamlRequestTable {
  id: string;
  connection_id: string;
  state_encrypted: string;
  created_at: Generated<Date>;
  expires_at: Timestamp;
}

export interface SamlAssertionSeenTable {
  connection_id: string;
  assertion_id: string;
  expires_at: Timestamp;
}
export type AccountTokenPurpose = 'email_verification' | 'invitation' | 'password_reset' | 'not_me';

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
  /** The claim (LeasedQueue) sending it; null until first claimed. */
  lease_token: Generated<string | null>;
  last_error: string | null;
  created_at: Generated<Date>;
  sent_at: NullableTimestamp;
}
export type OutgoingMailRow = Selectable<OutgoingMailTable>;
export type NewOutgoingMailRow = Insertable<OutgoingMailTable>;

export type LogoutDeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface LogoutDeliveryTable {
  id: Generated<string>;
  client_id: string;
  subject: string;
  sid: string | null;
  jti: string;
  reason: string;
  status: Generated<LogoutDeliveryStatus>;
  attempts: Generated<number>;
  next_attempt_at: Generated<Date>;
  give_up_at: Timestamp;
  last_error: string | null;
  created_at: Generated<Date>;
  delivered_at: NullableTimestamp;
  lease_token: string | null;
}
export type LogoutDeliveryRow = Selectable<LogoutDeliveryTable>;
export type NewLogoutDeliveryRow = Insertable<LogoutDeliveryTable>;

/** Resource indicator -> space-separated scopes allowed at that API. */
export type ResourceScopes = Record<string, string>;

export interface ConsentTable {
  account_id: string;
  client_id: string;
  scopes: ColumnType<string[], string[] | undefined, string[]>;
  claims: ColumnType<string[], string[] | undefined, string[]>;
  resource_scopes: Json<ResourceScopes>;
  granted_at: Generated<Date>;
  updated_at: Generated<Date>;
}
export type ConsentRow = Selectable<ConsentTable>;

export interface Database {
  oidc_models: OidcModelTable;
  clients: ClientTable;
  accounts: AccountTable;
  signing_keys: SigningKeyTable;
  resource_servers: ResourceServerTable;
  organizations: OrganizationTable;
  organization_domains: OrganizationDomainTable;
  organization_members: OrganizationMemberTable;
  federation_connections: FederationConnectionTable;
  federated_identities: FederatedIdentityTable;
  federation_callbacks: FederationCallbackTable;
  saml_requests: SamlRequestTable;
  saml_assertions_seen: SamlAssertionSeenTable;
  account_tokens: AccountTokenTable;
  outgoing_mails: OutgoingMailTable;
  consents: ConsentTable;
  logout_deliveries: LogoutDeliveryTable;
}

// Second factors and devices (issue 10): merged into Database below.
export interface AccountFactorSettingsTable {
  account_id: string;
  webauthn_user_handle: string | null;
  factors_changed_at: NullableTimestamp;
  trust_revoked_at: NullableTimestamp;
}

export interface TotpAuthenticatorTable {
  id: Generated<string>;
  account_id: string;
  secret_encrypted: string;
  last_used_step: ColumnType<string | null, number | null | undefined, number | null>;
  confirmed_at: NullableTimestamp;
  created_at: Generated<Date>;
}
export type TotpAuthenticatorRow = Selectable<TotpAuthenticatorTable>;

export interface RecoveryCodeTable {
  id: Generated<string>;
  account_id: string;
  code_hash: string;
  consumed_at: NullableTimestamp;
  created_at: Generated<Date>;
}

export interface PasskeyTable {
  credential_id: string;
  account_id: string;
  public_key: Uint8Array;
  counter: ColumnType<string, number | undefined, number>;
  transports: ColumnType<string[], string[] | undefined, string[]>;
  device_type: string;
  backed_up: boolean;
  name: string;
  created_at: Generated<Date>;
  last_used_at: NullableTimestamp;
}
export type PasskeyRow = Selectable<PasskeyTable>;

export interface WebauthnChallengeTable {
  id: string;
  challenge: string;
  account_id: string | null;
  expires_at: Timestamp;
}

export interface AccountDeviceTable {
  id: Generated<string>;
  account_id: string;
  device_hash: string;
  user_agent: Generated<string>;
  created_at: Generated<Date>;
  last_seen_at: Generated<Date>;
  trusted_at: NullableTimestamp;
  trusted_until: NullableTimestamp;
}
export type AccountDeviceRow = Selectable<AccountDeviceTable>;

export interface DeviceCodeTable {
  id: Generated<string>;
  account_id: string;
  device_hash: string;
  code_hash: string;
  attempts: Generated<number>;
  expires_at: Timestamp;
  consumed_at: NullableTimestamp;
  created_at: Generated<Date>;
}

export interface SessionConfirmationTable {
  session_uid: string;
  account_id: string;
  method: string;
  confirmed_at: Timestamp;
}

export interface OrganizationMfaPolicyTable {
  organization_id: string;
  phishing_resistant: Generated<boolean>;
  grace_days: Generated<number>;
  required_since: Generated<Date>;
}
export type OrganizationMfaPolicyRow = Selectable<OrganizationMfaPolicyTable>;

export interface ConnectionUpstreamTrustTable {
  connection_id: string;
  trusted_amr: ColumnType<string[], string[] | undefined, string[]>;
  trusted_acr: ColumnType<string[], string[] | undefined, string[]>;
}

export interface Database {
  account_factor_settings: AccountFactorSettingsTable;
  totp_authenticators: TotpAuthenticatorTable;
  recovery_codes: RecoveryCodeTable;
  passkeys: PasskeyTable;
  webauthn_challenges: WebauthnChallengeTable;
  account_devices: AccountDeviceTable;
  device_codes: DeviceCodeTable;
  session_confirmations: SessionConfirmationTable;
  organization_mfa_policies: OrganizationMfaPolicyTable;
  connection_upstream_trust: ConnectionUpstreamTrustTable;
}

// Client secret rotation with a grace period (issue 11, apps): merged into Database below.
export interface ClientPreviousSecretTable {
  client_id: string;
  secret_encrypted: string;
  expires_at: Timestamp;
}

export interface Database {
  client_previous_secrets: ClientPreviousSecretTable;
}

// The admin center (issue 11): merged into Database below.
export interface PlatformOperatorTable {
  account_id: string;
  created_at: Generated<Date>;
}

export type OrganizationAdminRole = 'owner' | 'admin';

export interface OrganizationAdminTable {
  organization_id: string;
  account_id: string;
  role: OrganizationAdminRole;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}
export type OrganizationAdminRow = Selectable<OrganizationAdminTable>;

export interface AdminApiClientTable {
  client_id: string;
  /** Null for a platform client (role operator). */
  organization_id: string | null;
  role: OrganizationAdminRole | 'operator';
  created_at: Generated<Date>;
}
export type AdminApiClientRow = Selectable<AdminApiClientTable>;

export interface AuditEventTable {
  id: Generated<string>;
  organization_id: string | null;
  actor_type: string;
  actor_id: string | null;
  action: string;
  target_type: string;
  target_id: string | null;
  before: ColumnType<unknown, string | null | undefined, string | null>;
  after: ColumnType<unknown, string | null | undefined, string | null>;
  ip: string | null;
  user_agent: string | null;
  request_id: string | null;
  created_at: Generated<Date>;
}
export type AuditEventRow = Selectable<AuditEventTable>;

export interface Database {
  platform_operators: PlatformOperatorTable;
  organization_admins: OrganizationAdminTable;
  admin_api_clients: AdminApiClientTable;
  audit_events: AuditEventTable;
}

// SCIM provisioning (issue 11 item 10): merged into Database below.
export interface ScimTokenTable {
  id: Generated<string>;
  organization_id: string;
  /** SHA-256 (hex) of the token: the token itself is shown once. */
  token_hash: string;
  expires_at: Timestamp;
  revoked_at: NullableTimestamp;
  last_used_at: NullableTimestamp;
  created_at: Generated<Date>;
}
export type ScimTokenRow = Selectable<ScimTokenTable>;

export interface ScimUserTable {
  organization_id: string;
  account_id: string;
  external_id: string | null;
  /** The role the IdP's groups granted, so that SCIM takes back only what it gave. */
  granted_role: OrganizationAdminRole | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface ScimGroupTable {
  id: Generated<string>;
  organization_id: string;
  display_name: string;
  external_id: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}
export type ScimGroupRow = Selectable<ScimGroupTable>;

export interface ScimGroupMemberTable {
  group_id: string;
  account_id: string;
}

export interface Database {
  scim_tokens: ScimTokenTable;
  scim_users: ScimUserTable;
  scim_groups: ScimGroupTable;
  scim_group_members: ScimGroupMemberTable;
}

// Sessions and the browsers they were signed in from (My account): merged into Database below.
export interface SessionDeviceTable {
  session_uid: string;
  account_id: string;
  device_hash: string | null;
  user_agent: Generated<string>;
  signed_in_at: Generated<Date>;
}

export interface Database {
  session_devices: SessionDeviceTable;
}

// Guided SSO setup (issue 11 items 4 and 5): merged into the tables above and into Database.
export interface FederationConnectionTable {
  /** When a test sign-in last succeeded; a connection is enabled only after one. */
  tested_at: NullableTimestamp;
  test_claims: ColumnType<Record<string, unknown> | null, string | null | undefined, string | null>;
}

export interface OrganizationTable {
  /** Under enforced SSO, the one owner who still signs in with a password and a second factor. */
  sso_break_glass_account_id: Generated<string | null>;
}

export interface OrganizationDomainTable {
  /** When the daily re-check found the TXT record gone (verified_at was cleared then). */
  verification_lost_at: NullableTimestamp;
}

export interface DailyJobRunTable {
  job: string;
  run_on: string;
  started_at: Generated<Date>;
}

export interface CertificateExpiryNoticeTable {
  connection_id: string;
  certificate_sha256: string;
  threshold_days: number;
  sent_at: Generated<Date>;
}

export interface Database {
  daily_job_runs: DailyJobRunTable;
  certificate_expiry_notices: CertificateExpiryNoticeTable;
}

export interface AdminCenterSessionTable {
  id_hash: string;
  account_id: string;
  access_token_encrypted: string;
  id_token_encrypted: string;
  expires_at: Date;
  created_at: Generated<Date>;
}
export type AdminCenterSessionRow = Selectable<AdminCenterSessionTable>;

export interface Database {
  admin_center_sessions: AdminCenterSessionTable;
}

// Apps in the admin center (admin-apps): merged into the tables above.
export interface OrganizationTable {
  /** Whether the organization's own admins may register and manage its apps (an operator decides). */
  apps_allowed: Generated<boolean>;
}
