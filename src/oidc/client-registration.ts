import { z } from 'zod';
import type { Db } from '../db/database.ts';
import { AppError } from '../http/errors.ts';
import type { ClientRepository, RegisteredClient } from './client.repository.ts';
import type { ResourceServerRegistry } from './resource-servers.ts';
import { signingAlgorithms } from './signing-keys.ts';

const absoluteUrl = z.url();
const webUrl = z.url({ protocol: /^https?$/ });

export const grantTypeSchema = z.enum(['authorization_code', 'refresh_token', 'client_credentials']);
/** A new app signs people in and keeps them signed in, unless it says otherwise. */
export const defaultGrantTypes: z.infer<typeof grantTypeSchema>[] = ['authorization_code', 'refresh_token'];

/**
 * An app registration and the rules every way of registering one applies (the CLI today; the
 * admin center and its API call the same function).
 */
export const clientRegistrationSchema = z
  .object({
    name: z.string().trim().min(1),
    redirectUris: z.array(absoluteUrl).default([]),
    postLogoutRedirectUris: z.array(absoluteUrl).default([]),
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
  .refine((o) => !o.grantTypes.includes('authorization_code') || o.redirectUris.length > 0, {
    path: ['redirectUris'],
    message: 'required for authorization_code clients',
  })
  .refine((o) => !(o.isPublic && o.grantTypes.includes('client_credentials')), { path: ['isPublic'], message: 'a public client cannot use client_credentials' })
  .refine((o) => !(o.isPublic && o.pkceOptional), { path: ['pkceOptional'], message: 'a public client always uses PKCE' })
  .refine((o) => !o.backchannelLogoutSessionRequired || o.backchannelLogoutUri, {
    path: ['backchannelLogoutSessionRequired'],
    message: 'needs a back-channel logout URI',
  });

export type ClientRegistration = z.input<typeof clientRegistrationSchema>;

/** One refused field of a registration: its path in ClientRegistration and why. */
export interface RegistrationIssue {
  path: PropertyKey[];
  message: string;
}

/** A registration (of an app or an API) that breaks a rule; `issues` says which, field by field. */
export class RegistrationInvalidError extends AppError {
  readonly issues: RegistrationIssue[];

  constructor(issues: RegistrationIssue[]) {
    super('oidc.registration_invalid', 400, { message: issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ') });
    this.issues = issues;
  }
}

function valid<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw new RegistrationInvalidError(parsed.error.issues.map(({ path, message }) => ({ path, message })));
  return parsed.data;
}

/** Registers an app as received (CLI options, an API body: checked here); its secret (confidential apps) is in the answer only. */
export async function registerClient(db: Db, clients: ClientRepository, registration: ClientRegistration | Record<string, unknown>): Promise<RegisteredClient> {
  const client = valid(clientRegistrationSchema, registration);
  return clients.create(db, client);
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
