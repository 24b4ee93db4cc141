import { z } from 'zod';
import type { Db } from '../db/database.ts';
import { AppError, NotFoundError } from '../http/errors.ts';
import type { ClientForUpdate, ClientRepository, ClientSummary, RegisteredClient } from './client.repository.ts';
import { isSecureOrLoopback } from './dynamic-registration.ts';
import type { ResourceServerRegistry } from './resource-servers.ts';
import { signingAlgorithms } from './signing-keys.ts';

const absoluteUrl = z.url();
const uriList = z.array(absoluteUrl).default([]);
const webUrl = z.url({ protocol: /^https?$/ });

export const grantTypeSchema = z.enum(['authorization_code', 'refresh_token', 'client_credentials']);
/** A new app signs people in and keeps them signed in, unless it says otherwise. */
export const defaultGrantTypes: z.infer<typeof grantTypeSchema>[] = ['authorization_code', 'refresh_token'];

const redirectUriRequired = { path: ['redirectUris'], message: 'required for authorization_code clients' };
const hasRedirectUriIfNeeded = (grantTypes: string[], redirectUris: string[]) => !grantTypes.includes('authorization_code') || redirectUris.length > 0;

/**
 * An app registration and the rules every way of registering one applies (the CLI today; the
 * admin center and its API call the same function).
 */
export const clientRegistrationSchema = z
  .object({
    name: z.string().trim().min(1),
    redirectUris: uriList,
    postLogoutRedirectUris: uriList,
    grantTypes: z.array(grantTypeSchema).min(1).default(defaultGrantTypes),
    isPublic: z.boolean().default(false),
    firstParty: z.boolean().default(false),
    idTokenSigningAlg: z.enum(signingAlgorithms).optional(),
    logoUri: webUrl.optional(),
    clientUri: webUrl.optional(),
    // Third-party initiated login starts a sign-in from outside: https only.
    initiateLoginUri: z.url({ protocol: /^https$/ }).optional(),
    allowedResources: z.array(absoluteUrl).default([]),
    pkceOptional: z.boolean().default(false),
    backchannelLogoutUri: webUrl.optional(),
    backchannelLogoutSessionRequired: z.boolean().default(false),
  })
  .refine((o) => hasRedirectUriIfNeeded(o.grantTypes, o.redirectUris), redirectUriRequired)
  .refine((o) => !(o.isPublic && o.grantTypes.includes('client_credentials')), { path: ['isPublic'], message: 'a public client cannot use client_credentials' })
  .refine((o) => !(o.isPublic && o.pkceOptional), { path: ['pkceOptional'], message: 'a public client always uses PKCE' })
  .refine((o) => !o.backchannelLogoutSessionRequired || o.backchannelLogoutUri, {
    path: ['backchannelLogoutSessionRequired'],
    message: 'needs a back-channel logout URI',
  });

export type ClientRegistration = z.input<typeof clientRegistrationSchema>;
type ValidRegistration = z.infer<typeof clientRegistrationSchema>;

/** One refused field of a registration: its path in ClientRegistration and why. */
export interface RegistrationIssue {
  path: PropertyKey[];
  message: string;
}

/** A registration (of an app or an API) that breaks a rule; `issues` says which, field by field. */
export class RegistrationInvalidError extends AppError {
  readonly issues: RegistrationIssue[];

  constructor(issues: RegistrationIssue[]) {
    const details = issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    super('oidc.registration_invalid', 400, { message: details, params: { details } });
    this.issues = issues;
  }
}

function valid<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw new RegistrationInvalidError(parsed.error.issues.map(({ path, message }) => ({ path, message })));
  return parsed.data;
}

/**
 * Whose apps a call may register, see and change: every app (an operator: the CLI, the platform's
 * admin pages), or one organization's own, where any other app answers "not found".
 */
export type ClientScope = { kind: 'platform' } | { kind: 'organization'; organizationId: string };
export const platformScope: ClientScope = { kind: 'platform' };
const organizationIdOf = (scope: ClientScope) => (scope.kind === 'organization' ? scope.organizationId : undefined);

/**
 * What only an operator decides: an organization's admins could otherwise skip every person's
 * consent, reach the platform's APIs (the admin API among them) or drop PKCE.
 */
const operatorOnlyFields: { path: keyof ValidRegistration; granted: (client: ValidRegistration) => boolean }[] = [
  { path: 'firstParty', granted: (client) => client.firstParty },
  { path: 'allowedResources', granted: (client) => client.allowedResources.length > 0 },
  { path: 'pkceOptional', granted: (client) => client.pkceOptional },
];

/**
 * An organization's apps follow the rule of self-registered ones (RFC 8252, OAuth 2.0 Security BCP):
 * redirects over https, plain http only on the loopback; only an operator registers anything else.
 */
function insecureRedirectUris(scope: ClientScope, uris: { redirectUris: string[]; postLogoutRedirectUris?: string[] | undefined }): RegistrationIssue[] {
  if (scope.kind === 'platform') return [];
  return (['redirectUris', 'postLogoutRedirectUris'] as const)
    .filter((path) => !(uris[path] ?? []).every(isSecureOrLoopback))
    .map((path) => ({ path: [path], message: 'must use https (plain http only on localhost or 127.0.0.1)' }));
}

/**
 * Registers an app as received (CLI options, an API body: checked here); its secret (confidential
 * apps) is in the answer only. In an organization's scope the app belongs to that organization.
 */
export async function registerClient(
  db: Db,
  clients: ClientRepository,
  registration: ClientRegistration | Record<string, unknown>,
  scope: ClientScope = platformScope,
): Promise<RegisteredClient> {
  const client = valid(clientRegistrationSchema, registration);
  const organizationId = organizationIdOf(scope);
  if (organizationId === undefined) return clients.create(db, client);
  const refused = [
    ...operatorOnlyFields.filter(({ granted }) => granted(client)).map(({ path }) => ({ path: [path], message: 'only a platform operator sets this' })),
    ...insecureRedirectUris(scope, client),
  ];
  if (refused.length) throw new RegistrationInvalidError(refused);
  return clients.create(db, { ...client, organizationId });
}

/** The apps a scope sees. */
export function listClients(clients: ClientRepository, scope: ClientScope): Promise<ClientSummary[]> {
  return clients.list(organizationIdOf(scope));
}

/** No app with this id (or not one this caller may see). */
export class ClientNotFoundError extends NotFoundError {
  constructor() {
    super('oidc.client_not_found');
  }
}

/** A public app (PKCE, no client authentication) has no secret to rotate. */
export class ClientHasNoSecretError extends AppError {
  constructor() {
    super('oidc.client_has_no_secret', 409);
  }
}

async function lockedClient(trx: Db, clients: ClientRepository, scope: ClientScope, clientId: string): Promise<ClientForUpdate> {
  const client = await clients.findForUpdate(trx, clientId, organizationIdOf(scope));
  if (!client) throw new ClientNotFoundError();
  return client;
}

export interface RotatedSecret {
  clientId: string;
  /** Shown once: only its sealed form is kept. */
  clientSecret: string;
  /** Until when the replaced secret is still accepted; null: refused at once. */
  previousSecretExpiresAt: Date | null;
}

/**
 * A new secret for a confidential app. The one it replaces keeps working for `graceSeconds`
 * (CLIENT_SECRET_GRACE_DAYS by default), so the app's servers can move over one by one; 0 refuses it
 * at once (a leaked secret). Only the latest replaced secret has a grace period.
 */
export async function rotateClientSecret(
  trx: Db,
  clients: ClientRepository,
  scope: ClientScope,
  clientId: string,
  { graceSeconds, now = new Date() }: { graceSeconds: number; now?: Date },
): Promise<RotatedSecret> {
  const client = await lockedClient(trx, clients, scope, clientId);
  if (client.isPublic) throw new ClientHasNoSecretError();
  const previousSecretExpiresAt = graceSeconds > 0 ? new Date(now.getTime() + graceSeconds * 1000) : null;
  const clientSecret = await clients.rotateSecret(trx, clientId, previousSecretExpiresAt);
  return { clientId, clientSecret, previousSecretExpiresAt };
}

export const redirectUrisSchema = z.object({ redirectUris: uriList, postLogoutRedirectUris: z.array(absoluteUrl).optional() });
export type RedirectUris = z.input<typeof redirectUrisSchema>;

/** Replaces an app's redirect URIs (and its post-logout ones when given), under the registration's rules. */
export async function updateClientRedirectUris(
  trx: Db,
  clients: ClientRepository,
  scope: ClientScope,
  clientId: string,
  input: RedirectUris | Record<string, unknown>,
): Promise<void> {
  const uris = valid(redirectUrisSchema, input);
  const insecure = insecureRedirectUris(scope, uris);
  if (insecure.length) throw new RegistrationInvalidError(insecure);
  const client = await lockedClient(trx, clients, scope, clientId);
  if (!hasRedirectUriIfNeeded(client.grantTypes, uris.redirectUris)) throw new RegistrationInvalidError([redirectUriRequired]);
  await clients.updateRedirectUris(trx, clientId, uris);
}

/** Removes an app: it can no longer authenticate nor use the tokens it holds (userinfo, refresh). */
export async function deleteClient(trx: Db, clients: ClientRepository, scope: ClientScope, clientId: string): Promise<void> {
  await lockedClient(trx, clients, scope, clientId);
  await clients.delete(trx, clientId);
}

export const resourceServerRegistrationSchema = z.object({
  identifier: absoluteUrl,
  name: z.string().trim().min(1),
  // RFC 6749 scope-token characters.
  scopes: z.array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/)).default([]),
  signingAlg: z.enum(signingAlgorithms).default('RS256'),
});

export type ResourceServerRegistration = z.input<typeof resourceServerRegistrationSchema>;

/** Registers an API; its access tokens live as long as the server's default (ACCESS_TOKEN_TTL) unless it says otherwise. */
export async function registerResourceServer(
  registry: ResourceServerRegistry,
  defaults: { accessTokenTtlSeconds: number },
  registration: ResourceServerRegistration | Record<string, unknown>,
): Promise<z.infer<typeof resourceServerRegistrationSchema>> {
  const server = valid(resourceServerRegistrationSchema, registration);
  await registry.register({ ...server, accessTokenTtlSeconds: defaults.accessTokenTtlSeconds });
  return server;
}
