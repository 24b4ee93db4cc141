import type { z } from 'zod';
import { adminApiScope } from '../../oidc/admin-api-resource.ts';
import type { ClientSummary } from '../../oidc/client.repository.ts';
import type { AdminModule } from '../admin.module.ts';
import type { AdminActor } from '../admin-principal.ts';
import { auditEventsAsCsv, auditEventsAsNdjson } from '../audit-export.ts';
import type { AdminRole } from '../roles.ts';
import {
  accountParams,
  adminSchema,
  apiClientSchema,
  appParams,
  appRedirectUrisSchema,
  appSchema,
  auditExportQuery,
  auditListSchema,
  auditQuery,
  claimDomainSchema,
  connectionParams,
  connectionSchema,
  createdAppSchema,
  domainClaimSchema,
  domainParams,
  grantSchema,
  inviteSchema,
  memberListSchema,
  memberSchema,
  memberSearchQuery,
  newApiClientSchema,
  newAppSchema,
  newConnectionSchema,
  newOrganizationSchema,
  organizationIdParam,
  organizationSchema,
  principalSchema,
  rotateAppSecretSchema,
  rotatedAppSecretSchema,
  ssoEnforcementSchema,
  ssoOverviewSchema,
  testSignInSchema,
} from './admin-api.schemas.ts';

/** A response that is not JSON (exports). */
export interface FileResponse {
  file: { contentType: string; body: string };
}

export interface AdminApiInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
}

/**
 * One admin API route: its method and path (OpenAPI style), the role it needs and where (in the
 * path's organization, or on the platform), the schemas that validate its input and describe its
 * answer, and the handler. The router and the OpenAPI document are both built from this table;
 * a route cannot exist without a role.
 */
export interface AdminApiRoute {
  operationId: string;
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  path: string;
  summary: string;
  role: AdminRole;
  /** organization: the role is needed in the path's {organizationId}; platform: no organization in the path. */
  scope: 'organization' | 'platform';
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  status: 200 | 201 | 204;
  response?: z.ZodType;
  /** Content types of a file answer (exports), instead of `response`. */
  fileTypes?: string[];
  handle(input: AdminApiInput<unknown, unknown, unknown>, actor: AdminActor, admin: AdminModule): Promise<unknown>;
}

function route<P extends z.ZodObject | undefined, Q extends z.ZodObject | undefined, B extends z.ZodType | undefined>(
  definition: Omit<AdminApiRoute, 'handle' | 'params' | 'query' | 'body'> & {
    params?: P;
    query?: Q;
    body?: B;
    handle(
      input: AdminApiInput<
        P extends z.ZodObject ? z.infer<P> : undefined,
        Q extends z.ZodObject ? z.infer<Q> : undefined,
        B extends z.ZodType ? z.infer<B> : undefined
      >,
      actor: AdminActor,
      admin: AdminModule,
    ): Promise<unknown>;
  },
): AdminApiRoute {
  return definition as AdminApiRoute;
}

const auditFilters = (query: z.infer<typeof auditQuery>) => ({
  action: query.action,
  actorId: query.actor,
  targetId: query.target,
  since: query.since ? new Date(query.since) : undefined,
  until: query.until ? new Date(query.until) : undefined,
  limit: query.limit,
});

export const adminApiRoutes: AdminApiRoute[] = [
  route({
    operationId: 'getMe',
    method: 'get',
    path: '/me',
    summary: 'Who the token acts for, and its roles',
    role: 'admin',
    scope: 'platform',
    status: 200,
    response: principalSchema,
    async handle(_input, { principal }) {
      if (principal.kind === 'account') {
        return {
          kind: 'account',
          id: principal.accountId,
          operator: principal.operator,
          organizations: [...principal.organizations].map(([organizationId, role]) => ({ organizationId, role })),
        };
      }
      if (principal.kind === 'client') {
        return {
          kind: 'client',
          id: principal.clientId,
          operator: principal.role === 'operator',
          organizations: principal.organizationId ? [{ organizationId: principal.organizationId, role: principal.role }] : [],
        };
      }
      throw new Error('the command line does not use the admin API');
    },
  }),
  route({
    operationId: 'listOrganizations',
    method: 'get',
    path: '/organizations',
    summary: 'Organizations the caller administers (all for an operator)',
    role: 'admin',
    scope: 'platform',
    status: 200,
    response: organizationSchema.array(),
    handle: (_input, actor, admin) => admin.adminOrganizations.list(actor),
  }),
  route({
    operationId: 'createOrganization',
    method: 'post',
    path: '/organizations',
    summary: 'Create an organization',
    role: 'operator',
    scope: 'platform',
    body: newOrganizationSchema,
    status: 201,
    response: organizationSchema,
    handle: ({ body }, actor, admin) => admin.adminOrganizations.create(actor, body),
  }),
  route({
    operationId: 'getOrganization',
    method: 'get',
    path: '/organizations/{organizationId}',
    summary: 'One organization',
    role: 'admin',
    scope: 'organization',
    params: organizationIdParam,
    status: 200,
    response: organizationSchema,
    handle: ({ params }, actor, admin) => admin.adminOrganizations.get(actor, params.organizationId),
  }),
  route({
    operationId: 'listUsers',
    method: 'get',
    path: '/organizations/{organizationId}/users',
    summary: 'List and search the organization’s users',
    role: 'admin',
    scope: 'organization',
    params: organizationIdParam,
    query: memberSearchQuery,
    status: 200,
    response: memberListSchema,
    async handle({ params, query }, actor, admin) {
      const { members, total } = await admin.organizationUsers.list(actor, params.organizationId, query);
      return { users: members, total };
    },
  }),
  route({
    operationId: 'inviteUser',
    method: 'post',
    path: '/organizations/{organizationId}/users',
    summary: 'Invite a person (an address in one of the organization’s proven domains)',
    role: 'admin',
    scope: 'organization',
    params: organizationIdParam,
    body: inviteSchema,
    status: 201,
    response: memberSchema,
    handle: ({ params, body }, actor, admin) => admin.organizationUsers.invite(actor, params.organizationId, body),
  }),
  route({
    operationId: 'getUser',
    method: 'get',
    path: '/organizations/{organizationId}/users/{accountId}',
    summary: 'One user of the organization',
    role: 'admin',
    scope: 'organization',
    params: accountParams,
    status: 200,
    response: memberSchema,
    handle: ({ params }, actor, admin) => admin.organizationUsers.get(actor, params.organizationId, params.accountId),
  }),
  route({
    operationId: 'removeUser',
    method: 'delete',
    path: '/organizations/{organizationId}/users/{accountId}',
    summary: 'Remove a person from the organization (the account stays)',
    role: 'admin',
    scope: 'organization',
    params: accountParams,
    status: 204,
    handle: ({ params }, actor, admin) => admin.organizationUsers.remove(actor, params.organizationId, params.accountId),
  }),
  route({
    operationId: 'disableUser',
    method: 'post',
    path: '/organizations/{organizationId}/users/{accountId}/disable',
    summary: 'Disable: ends the sessions, revokes the tokens, blocks sign-in',
    role: 'admin',
    scope: 'organization',
    params: accountParams,
    status: 200,
    response: memberSchema,
    handle: ({ params }, actor, admin) => admin.organizationUsers.disable(actor, params.organizationId, params.accountId),
  }),
  route({
    operationId: 'enableUser',
    method: 'post',
    path: '/organizations/{organizationId}/users/{accountId}/enable',
    summary: 'Enable a disabled user again',
    role: 'admin',
    scope: 'organization',
    params: accountParams,
    status: 200,
    response: memberSchema,
    handle: ({ params }, actor, admin) => admin.organizationUsers.enable(actor, params.organizationId, params.accountId),
  }),
  route({
    operationId: 'signUserOutEverywhere',
    method: 'post',
    path: '/organizations/{organizationId}/users/{accountId}/sign-out-everywhere',
    summary: 'End every session and revoke every token of the user',
    role: 'admin',
    scope: 'organization',
    params: accountParams,
    status: 200,
    response: memberSchema,
    handle: ({ params }, actor, admin) => admin.organizationUsers.signOutEverywhere(actor, params.organizationId, params.accountId),
  }),
  route({
    operationId: 'resetUserFactors',
    method: 'post',
    path: '/organizations/{organizationId}/users/{accountId}/reset-factors',
    summary: 'Remove the user’s authenticator app, recovery codes and passkeys, and end their device trust',
    role: 'admin',
    scope: 'organization',
    params: accountParams,
    status: 200,
    response: memberSchema,
    handle: ({ params }, actor, admin) => admin.organizationUsers.resetFactors(actor, params.organizationId, params.accountId),
  }),
  route({
    operationId: 'listAdmins',
    method: 'get',
    path: '/organizations/{organizationId}/admins',
    summary: 'Owners and admins of the organization',
    role: 'admin',
    scope: 'organization',
    params: organizationIdParam,
    status: 200,
    response: adminSchema.array(),
    handle: ({ params }, actor, admin) => admin.organizationAdmins.list(actor, params.organizationId),
  }),
  route({
    operationId: 'grantRole',
    method: 'post',
    path: '/organizations/{organizationId}/admins',
    summary: 'Make an account an owner or admin (up to the caller’s own role)',
    role: 'admin',
    scope: 'organization',
    params: organizationIdParam,
    body: grantSchema,
    status: 200,
    response: adminSchema,
    handle: ({ params, body }, actor, admin) => admin.organizationAdmins.grant(actor, params.organizationId, body),
  }),
  route({
    operationId: 'revokeRole',
    method: 'delete',
    path: '/organizations/{organizationId}/admins/{accountId}',
    summary: 'Take an admin role away (up to the caller’s own role; an organization keeps an owner)',
    role: 'admin',
    scope: 'organization',
    params: accountParams,
    status: 204,
    handle: ({ params }, actor, admin) => admin.organizationAdmins.revoke(actor, params.organizationId, params.accountId),
  }),
  route({
    operationId: 'listDomains',
    method: 'get',
    path: '/organizations/{organizationId}/domains',
    summary: 'Claimed domains and their TXT records',
    role: 'admin',
    scope: 'organization',
    params: organizationIdParam,
    status: 200,
    response: domainClaimSchema.array(),
    handle: async ({ params }, actor, admin) => (await admin.adminOrganizations.get(actor, params.organizationId)).domains,
  }),
  route({
    operationId: 'claimDomain',
    method: 'post',
    path: '/organizations/{organizationId}/domains',
    summary: 'Claim a domain: publish the TXT record shown, then verify',
    role: 'admin',
    scope: 'organization',
    params: organizationIdParam,
    body: claimDomainSchema,
    status: 201,
    response: domainClaimSchema,
    handle: ({ params, body }, actor, admin) => admin.adminOrganizations.claimDomain(actor, params.organizationId, body.domain),
  }),
  route({
    operationId: 'verifyDomain',
    method: 'post',
    path: '/organizations/{organizationId}/domains/{domain}/verify',
    summary: 'Check the domain’s TXT record',
    role: 'admin',
    scope: 'organization',
    params: domainParams,
    status: 200,
    response: domainClaimSchema,
    handle: ({ params }, actor, admin) => admin.adminOrganizations.verifyDomain(actor, params.organizationId, params.domain),
  }),
  route({
    operationId: 'listAuditEvents',
    method: 'get',
    path: '/organizations/{organizationId}/audit-events',
    summary: 'The organization’s audit log, newest first',
    role: 'admin',
    scope: 'organization',
    params: organizationIdParam,
    query: auditQuery,
    status: 200,
    response: auditListSchema,
    handle: async ({ params, query }, actor, admin) => ({ events: await admin.auditEvents.list(actor, params.organizationId, auditFilters(query)) }),
  }),
  route({
    operationId: 'exportAuditEvents',
    method: 'get',
    path: '/organizations/{organizationId}/audit-events/export',
    summary: 'Export the audit log as CSV or NDJSON',
    role: 'admin',
    scope: 'organization',
    params: organizationIdParam,
    query: auditExportQuery,
    status: 200,
    fileTypes: ['text/csv', 'application/x-ndjson'],
    async handle({ params, query }, actor, admin): Promise<FileResponse> {
      const events = await admin.auditEvents.list(actor, params.organizationId, auditFilters(query));
      return query.format === 'csv'
        ? { file: { contentType: 'text/csv; charset=utf-8', body: auditEventsAsCsv(events) } }
        : { file: { contentType: 'application/x-ndjson', body: auditEventsAsNdjson(events) } };
    },
  }),
  route({
    operationId: 'createApiClient',
    method: 'post',
    path: '/organizations/{organizationId}/api-clients',
    summary: 'A machine client of the admin API for this organization (secret shown once)',
    role: 'owner',
    scope: 'organization',
    params: organizationIdParam,
    body: newApiClientSchema,
    status: 201,
    response: apiClientSchema,
    async handle({ params, body }, actor, admin) {
      const created = await admin.adminApiClients.create(actor, { name: body.name, organizationId: params.organizationId, role: body.role });
      return {
        client_id: created.clientId,
        client_secret: created.clientSecret,
        role: created.role,
        organization_id: created.organizationId,
        token_endpoint: created.tokenEndpoint,
        resource: created.resource,
        scope: adminApiScope,
      };
    },
  }),
  route({
    operationId: 'listApps',
    method: 'get',
    path: '/organizations/{organizationId}/apps',
    summary: 'The organization’s apps (its admins: where an operator allowed it)',
    role: 'admin',
    scope: 'organization',
    params: organizationIdParam,
    status: 200,
    response: appSchema.array(),
    handle: async ({ params }, actor, admin) => (await admin.adminApps.list(actor, params.organizationId)).map(appOf),
  }),
  route({
    operationId: 'createApp',
    method: 'post',
    path: '/organizations/{organizationId}/apps',
    summary: 'Register an app for the organization (its secret shown once)',
    role: 'admin',
    scope: 'organization',
    params: organizationIdParam,
    body: newAppSchema,
    status: 201,
    response: createdAppSchema,
    async handle({ params, body }, actor, admin) {
      const created = await admin.adminApps.create(actor, params.organizationId, body);
      return {
        client_id: created.clientId,
        ...(created.clientSecret ? { client_secret: created.clientSecret } : {}),
        organization_id: created.organizationId,
      };
    },
  }),
  route({
    operationId: 'getApp',
    method: 'get',
    path: '/organizations/{organizationId}/apps/{clientId}',
    summary: 'One app of the organization',
    role: 'admin',
    scope: 'organization',
    params: appParams,
    status: 200,
    response: appSchema,
    handle: async ({ params }, actor, admin) => appOf(await admin.adminApps.get(actor, params.organizationId, params.clientId)),
  }),
  route({
    operationId: 'updateAppRedirectUris',
    method: 'patch',
    path: '/organizations/{organizationId}/apps/{clientId}',
    summary: 'Replace the app’s redirect URIs (and its post-logout ones when given)',
    role: 'admin',
    scope: 'organization',
    params: appParams,
    body: appRedirectUrisSchema,
    status: 200,
    response: appSchema,
    handle: async ({ params, body }, actor, admin) => appOf(await admin.adminApps.updateRedirectUris(actor, params.organizationId, params.clientId, body)),
  }),
  route({
    operationId: 'rotateAppSecret',
    method: 'post',
    path: '/organizations/{organizationId}/apps/{clientId}/rotate-secret',
    summary: 'A new secret (shown once); the replaced one still works for the grace days',
    role: 'admin',
    scope: 'organization',
    params: appParams,
    body: rotateAppSecretSchema,
    status: 200,
    response: rotatedAppSecretSchema,
    async handle({ params, body }, actor, admin) {
      const rotated = await admin.adminApps.rotateSecret(actor, params.organizationId, params.clientId, { graceDays: body.graceDays });
      return {
        client_id: rotated.clientId,
        client_secret: rotated.clientSecret,
        previous_secret_expires_at: rotated.previousSecretExpiresAt?.toISOString() ?? null,
      };
    },
  }),
  route({
    operationId: 'deleteApp',
    method: 'delete',
    path: '/organizations/{organizationId}/apps/{clientId}',
    summary: 'Delete the app: it can no longer authenticate nor use its tokens',
    role: 'admin',
    scope: 'organization',
    params: appParams,
    status: 204,
    handle: ({ params }, actor, admin) => admin.adminApps.delete(actor, params.organizationId, params.clientId),
  }),
  route({
    operationId: 'listConnections',
    method: 'get',
    path: '/organizations/{organizationId}/connections',
    summary: 'The organization’s SSO connections and whether SSO is enforced',
    role: 'admin',
    scope: 'organization',
    params: organizationIdParam,
    status: 200,
    response: ssoOverviewSchema,
    handle: ({ params }, actor, admin) => admin.adminConnections.overview(actor, params.organizationId),
  }),
  route({
    operationId: 'createConnection',
    method: 'post',
    path: '/organizations/{organizationId}/connections',
    summary: 'A draft SSO connection: SAML from its metadata, or OIDC from discovery',
    role: 'admin',
    scope: 'organization',
    params: organizationIdParam,
    body: newConnectionSchema,
    status: 201,
    response: connectionSchema,
    handle: ({ params, body }, actor, admin) =>
      body.type === 'saml'
        ? admin.adminConnections.createSaml(actor, params.organizationId, {
            name: body.name,
            metadata: body.metadataUrl ? { url: body.metadataUrl } : { xml: body.metadataXml! },
            preset: body.preset,
          })
        : admin.adminConnections.createOidc(actor, params.organizationId, body),
  }),
  route({
    operationId: 'getConnection',
    method: 'get',
    path: '/organizations/{organizationId}/connections/{connectionId}',
    summary: 'A connection: its state, last test, what to give the IdP, certificate expiry',
    role: 'admin',
    scope: 'organization',
    params: connectionParams,
    status: 200,
    response: connectionSchema,
    handle: ({ params }, actor, admin) => admin.adminConnections.get(actor, params.organizationId, params.connectionId),
  }),
  route({
    operationId: 'startConnectionTest',
    method: 'post',
    path: '/organizations/{organizationId}/connections/{connectionId}/test-sign-in',
    summary: 'A test sign-in link (valid one hour): the real flow, showing the claims received, signing nobody in',
    role: 'admin',
    scope: 'organization',
    params: connectionParams,
    status: 200,
    response: testSignInSchema,
    handle: ({ params }, actor, admin) => admin.adminConnections.testSignInUrl(actor, params.organizationId, params.connectionId),
  }),
  route({
    operationId: 'enableConnection',
    method: 'post',
    path: '/organizations/{organizationId}/connections/{connectionId}/enable',
    summary: 'Send the organization’s domains to the connection (after a successful test)',
    role: 'admin',
    scope: 'organization',
    params: connectionParams,
    status: 200,
    response: connectionSchema,
    handle: ({ params }, actor, admin) => admin.adminConnections.enable(actor, params.organizationId, params.connectionId),
  }),
  route({
    operationId: 'disableConnection',
    method: 'post',
    path: '/organizations/{organizationId}/connections/{connectionId}/disable',
    summary: 'Stop sending anyone to the connection (refused for the last one while SSO is enforced)',
    role: 'admin',
    scope: 'organization',
    params: connectionParams,
    status: 200,
    response: connectionSchema,
    handle: ({ params }, actor, admin) => admin.adminConnections.disable(actor, params.organizationId, params.connectionId),
  }),
  route({
    operationId: 'enforceSso',
    method: 'put',
    path: '/organizations/{organizationId}/sso-enforcement',
    summary: 'Enforce SSO, naming the break-glass owner',
    role: 'owner',
    scope: 'organization',
    params: organizationIdParam,
    body: ssoEnforcementSchema,
    status: 200,
    response: ssoOverviewSchema,
    handle: ({ params, body }, actor, admin) => admin.adminConnections.enforceSso(actor, params.organizationId, body.breakGlassEmail),
  }),
  route({
    operationId: 'relaxSso',
    method: 'delete',
    path: '/organizations/{organizationId}/sso-enforcement',
    summary: 'Stop enforcing SSO',
    role: 'owner',
    scope: 'organization',
    params: organizationIdParam,
    status: 200,
    response: ssoOverviewSchema,
    handle: ({ params }, actor, admin) => admin.adminConnections.relaxSso(actor, params.organizationId),
  }),
];

/** An app as the API describes it. */
function appOf(app: ClientSummary) {
  return {
    clientId: app.clientId,
    name: app.name,
    isPublic: app.isPublic,
    grantTypes: app.grantTypes,
    redirectUris: app.redirectUris,
    postLogoutRedirectUris: app.postLogoutRedirectUris,
    organizationId: app.organizationId,
    createdAt: app.createdAt.toISOString(),
  };
}
