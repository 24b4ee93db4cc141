import 'zod-openapi';
import { z } from 'zod';
import { emailSchema } from '../../accounts/email.ts';
import { attributePresetNames } from '../../federation/saml/saml-attributes.ts';
import { domainSchema } from '../../orgs/domain-name.ts';
import { supportedLocales } from '../../ui/i18n.ts';
import { organizationRoles } from '../roles.ts';

/** The zod schemas that validate admin API requests and describe its answers: the OpenAPI document is generated from them. */

const uuid = z.uuid();
export const organizationIdParam = z.object({ organizationId: uuid.meta({ description: 'The organization' }) });
export const accountParams = organizationIdParam.extend({ accountId: uuid.meta({ description: 'The account' }) });
export const domainParams = organizationIdParam.extend({ domain: domainSchema.meta({ description: 'The domain' }) });

export const errorSchema = z
  .object({ error: z.string().meta({ description: 'A stable error code', example: 'admin.not_found' }), request_id: z.string() })
  .meta({ id: 'Error' });

export const domainClaimSchema = z
  .object({
    domain: z.string(),
    verified: z.boolean(),
    record: z.object({ name: z.string(), value: z.string() }).meta({ description: 'The TXT record that proves ownership' }),
  })
  .meta({ id: 'DomainClaim' });

export const organizationSchema = z
  .object({ id: z.string(), name: z.string(), ssoEnforced: z.boolean(), domains: z.array(domainClaimSchema) })
  .meta({ id: 'Organization' });

export const newOrganizationSchema = z.object({ name: z.string().trim().min(1).max(200) }).meta({ id: 'NewOrganization' });

export const memberSchema = z
  .object({
    accountId: z.string(),
    email: z.string(),
    name: z.string().nullable(),
    emailVerified: z.boolean(),
    disabled: z.boolean(),
    memberSince: z.iso.datetime(),
  })
  .meta({ id: 'User' });

export const memberListSchema = z.object({ users: z.array(memberSchema), total: z.number().int() }).meta({ id: 'UserList' });

export const memberSearchQuery = z.object({
  search: z.string().trim().max(200).optional().meta({ description: 'Start of the email, or part of the name' }),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});

export const inviteSchema = z
  .object({ email: emailSchema, name: z.string().trim().min(1).max(200).optional(), locale: z.enum(supportedLocales).default('en') })
  .meta({ id: 'Invitation' });

export const adminSchema = z
  .object({ accountId: z.string(), email: z.string(), name: z.string().nullable(), role: z.enum(organizationRoles), since: z.iso.datetime() })
  .meta({ id: 'OrganizationAdmin' });

export const grantSchema = z.object({ email: emailSchema, role: z.enum(organizationRoles) }).meta({ id: 'RoleGrant' });

export const claimDomainSchema = z.object({ domain: domainSchema }).meta({ id: 'NewDomain' });

export const auditQuery = z.object({
  action: z.string().max(100).optional(),
  actor: z.string().max(100).optional().meta({ description: 'Actor id (account or client)' }),
  target: z.string().max(300).optional().meta({ description: 'Target id' }),
  since: z.iso.datetime().optional(),
  until: z.iso.datetime().optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

export const auditExportQuery = auditQuery.extend({
  format: z.enum(['csv', 'ndjson']).default('ndjson'),
  limit: z.coerce.number().int().min(1).max(100_000).default(10_000),
});

export const auditEventSchema = z
  .object({
    id: z.string(),
    organizationId: z.string().nullable(),
    actor: z.object({ type: z.string(), id: z.string().optional() }),
    action: z.string(),
    target: z.object({ type: z.string(), id: z.string().nullable() }),
    before: z.unknown(),
    after: z.unknown(),
    origin: z.object({ ip: z.string().nullable(), userAgent: z.string().nullable(), requestId: z.string().nullable() }),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'AuditEvent' });

export const auditListSchema = z.object({ events: z.array(auditEventSchema) }).meta({ id: 'AuditEventList' });

export const newApiClientSchema = z
  .object({ name: z.string().trim().min(1).max(200), role: z.enum(organizationRoles).default('admin') })
  .meta({ id: 'NewApiClient' });

export const apiClientSchema = z
  .object({
    client_id: z.string(),
    client_secret: z.string().meta({ description: 'Shown once' }),
    role: z.string(),
    organization_id: z.string().nullable(),
    token_endpoint: z.string(),
    resource: z.string(),
    scope: z.string(),
  })
  .meta({ id: 'ApiClient' });

export const principalSchema = z
  .object({
    kind: z.enum(['account', 'client']),
    id: z.string(),
    operator: z.boolean(),
    organizations: z.array(z.object({ organizationId: z.string(), role: z.string() })),
  })
  .meta({ id: 'Principal' });

export const connectionParams = organizationIdParam.extend({
  connectionId: z
    .string()
    .regex(/^[\w-]{1,100}$/)
    .meta({ description: 'The SSO connection' }),
});

const connectionName = z.string().trim().min(1).max(200);
export const newConnectionSchema = z
  .discriminatedUnion('type', [
    z.object({
      type: z.literal('saml'),
      name: connectionName,
      metadataUrl: z.url().max(2000).optional().meta({ description: 'The IdP metadata URL (https, public address, no redirect); refreshed daily' }),
      metadataXml: z.string().max(60_000).optional().meta({ description: 'The IdP metadata document itself (larger ones by URL)' }),
      preset: z.enum(attributePresetNames).optional().meta({ description: 'The IdP’s attribute names; detected from the metadata when absent' }),
    }),
    z.object({
      type: z.literal('oidc'),
      name: connectionName,
      issuer: z.url().max(2000).meta({ description: 'Its discovery document must answer for this issuer' }),
      clientId: z.string().min(1).max(500),
      clientSecret: z.string().min(1).max(2000),
    }),
  ])
  .refine((body) => body.type === 'oidc' || (body.metadataUrl === undefined) !== (body.metadataXml === undefined), {
    message: 'give metadataUrl or metadataXml',
  })
  .meta({ id: 'NewConnection' });

const connectionSetupFields = {
  id: z.string(),
  organizationId: z.string().nullable(),
  type: z.string(),
  name: z.string(),
  enabled: z.boolean(),
  testedAt: z.iso.datetime().nullable().meta({ description: 'The last successful test sign-in; needed to enable' }),
  testClaims: z.record(z.string(), z.unknown()).nullable().meta({ description: 'What the IdP sent at that test' }),
};

export const connectionSchema = z
  .object({
    ...connectionSetupFields,
    serviceProvider: z
      .discriminatedUnion('type', [
        z.object({ type: z.literal('saml'), entityId: z.string(), acsUrl: z.string(), metadataUrl: z.string() }),
        z.object({ type: z.literal('oidc'), redirectUri: z.string() }),
      ])
      .meta({ description: 'What to give the IdP' }),
    certificates: z.array(z.object({ sha256: z.string(), subject: z.string(), notAfter: z.iso.datetime(), daysLeft: z.number().int() })),
  })
  .meta({ id: 'Connection' });

export const ssoOverviewSchema = z
  .object({ connections: z.array(z.object(connectionSetupFields)), ssoEnforced: z.boolean(), breakGlassEmail: z.string().nullable() })
  .meta({ id: 'SsoOverview' });

export const testSignInSchema = z
  .object({ url: z.string().meta({ description: 'Open in a browser: the real sign-in at the IdP, in draft mode' }), expiresInSeconds: z.number().int() })
  .meta({ id: 'TestSignIn' });

export const ssoEnforcementSchema = z
  .object({ breakGlassEmail: emailSchema.meta({ description: 'An owner with a second factor, who keeps a password under enforced SSO' }) })
  .meta({ id: 'SsoEnforcement' });
// Apps (OIDC client registrations) of an organization: admin-apps.
export const appParams = organizationIdParam.extend({
  clientId: z
    .string()
    .regex(/^[\w.~-]{1,128}$/)
    .meta({ description: 'The app’s client_id' }),
});

export const appSchema = z
  .object({
    clientId: z.string(),
    name: z.string(),
    isPublic: z.boolean().meta({ description: 'PKCE, no client authentication, no secret' }),
    grantTypes: z.array(z.string()),
    redirectUris: z.array(z.string()),
    postLogoutRedirectUris: z.array(z.string()),
    organizationId: z.string().nullable(),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'App' });

const absoluteUri = z.url();

export const newAppSchema = z
  .object({
    name: z.string().trim().min(1).max(200),
    redirectUris: z.array(absoluteUri).max(50).default([]),
    postLogoutRedirectUris: z.array(absoluteUri).max(50).default([]),
    grantTypes: z
      .array(z.enum(['authorization_code', 'refresh_token', 'client_credentials']))
      .min(1)
      .optional(),
    isPublic: z.boolean().default(false),
  })
  .meta({ id: 'NewApp' });

export const createdAppSchema = z
  .object({
    client_id: z.string(),
    client_secret: z.string().optional().meta({ description: 'Shown once (confidential apps only)' }),
    organization_id: z.string().nullable(),
  })
  .meta({ id: 'CreatedApp' });

export const appRedirectUrisSchema = z
  .object({
    redirectUris: z.array(absoluteUri).max(50),
    postLogoutRedirectUris: z.array(absoluteUri).max(50).optional().meta({ description: 'Left as they are when absent' }),
  })
  .meta({ id: 'AppRedirectUris' });

export const rotateAppSecretSchema = z
  .object({
    graceDays: z.number().int().min(0).max(365).optional().meta({ description: 'Days the replaced secret still works (default CLIENT_SECRET_GRACE_DAYS)' }),
  })
  .meta({ id: 'AppSecretRotation' });

export const rotatedAppSecretSchema = z
  .object({
    client_id: z.string(),
    client_secret: z.string().meta({ description: 'Shown once' }),
    previous_secret_expires_at: z.iso.datetime().nullable(),
  })
  .meta({ id: 'RotatedAppSecret' });
