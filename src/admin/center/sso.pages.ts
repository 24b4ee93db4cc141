import { z } from 'zod';
import { attributePresetNames } from '../../federation/saml/saml-attributes.ts';
import { AppError } from '../../http/errors.ts';
import { parseForm } from '../../http/forms.ts';
import { roleIn } from '../admin-principal.ts';
import { roleAtLeast } from '../roles.ts';
import { type AdminPage, organizationPage, orgPath, seeOther } from './page-kit.ts';

const connectionName = z.string().trim().min(1).max(200);
const samlForm = z.object({
  name: connectionName,
  metadata_url: z.string().trim().max(2000).optional(),
  metadata_xml: z.string().max(1_500_000).optional(),
  preset: z.enum(['', ...attributePresetNames]).optional(),
});
const oidcForm = z.object({
  name: connectionName,
  issuer: z.url().max(2000),
  client_id: z.string().trim().min(1).max(500),
  client_secret: z.string().min(1).max(2000),
});
const enforceForm = z.object({ break_glass: z.string().trim().toLowerCase().email().max(320) });

const connectionPath = (organizationId: string | undefined, connectionId: string, rest = '') =>
  `/admin/orgs/${organizationId}/sso/${encodeURIComponent(connectionId)}${rest}`;

/** The metadata the form gives: its URL, or the document itself (pasted, or read from a file by the page). */
function metadataOf(form: z.infer<typeof samlForm>): { url: string } | { xml: string } {
  const url = form.metadata_url?.trim();
  const xml = form.metadata_xml?.trim();
  if (url && !xml) return { url };
  if (xml && !url) return { xml };
  throw new AppError('federation.saml_metadata_invalid', 400, { message: 'Give the metadata URL or the metadata document, not both' });
}

type ConnectionAction = 'enable' | 'disable';

/**
 * The SSO tab: connections set up from the IdP's metadata or discovery, their test sign-in, enabling
 * them and (owners) enforcing SSO; all through AdminConnectionsService, as the admin API does.
 */
export const ssoPages: AdminPage[] = [
  {
    method: 'get',
    path: '/orgs/:organizationId/sso',
    role: 'admin',
    scope: 'organization',
    async handle(ctx, actor, params, admin) {
      const overview = await admin.adminConnections.overview(actor, params.organizationId!);
      const held = roleIn(actor.principal, params.organizationId!);
      await organizationPage(ctx, actor, params, admin, 'sso', {
        ...overview,
        presets: attributePresetNames,
        mayEnforce: held !== undefined && roleAtLeast(held, 'owner'),
        hasEnabled: overview.connections.some((connection) => connection.enabled),
      });
    },
  },
  {
    method: 'post',
    path: '/orgs/:organizationId/sso/saml',
    role: 'admin',
    scope: 'organization',
    async handle(ctx, actor, params, admin) {
      const form = parseForm(samlForm, ctx.request.body);
      const created = await admin.adminConnections.createSaml(actor, params.organizationId!, {
        name: form.name,
        metadata: metadataOf(form),
        preset: form.preset || undefined,
      });
      seeOther(ctx, connectionPath(params.organizationId, created.id), 'connection_created');
    },
  },
  {
    method: 'post',
    path: '/orgs/:organizationId/sso/oidc',
    role: 'admin',
    scope: 'organization',
    async handle(ctx, actor, params, admin) {
      const form = parseForm(oidcForm, ctx.request.body);
      const created = await admin.adminConnections.createOidc(actor, params.organizationId!, {
        name: form.name,
        issuer: form.issuer,
        clientId: form.client_id,
        clientSecret: form.client_secret,
      });
      seeOther(ctx, connectionPath(params.organizationId, created.id), 'connection_created');
    },
  },
  {
    method: 'post',
    path: '/orgs/:organizationId/sso/enforce',
    role: 'owner',
    scope: 'organization',
    async handle(ctx, actor, params, admin) {
      await admin.adminConnections.enforceSso(actor, params.organizationId!, parseForm(enforceForm, ctx.request.body).break_glass);
      seeOther(ctx, orgPath(params, '/sso'), 'sso_enforced');
    },
  },
  {
    method: 'post',
    path: '/orgs/:organizationId/sso/relax',
    role: 'owner',
    scope: 'organization',
    async handle(ctx, actor, params, admin) {
      await admin.adminConnections.relaxSso(actor, params.organizationId!);
      seeOther(ctx, orgPath(params, '/sso'), 'sso_relaxed');
    },
  },
  {
    method: 'get',
    path: '/orgs/:organizationId/sso/:connectionId',
    role: 'admin',
    scope: 'organization',
    async handle(ctx, actor, params, admin) {
      const connection = await admin.adminConnections.get(actor, params.organizationId!, params.connectionId!);
      const times = new Intl.DateTimeFormat(ctx.state.locale, { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' });
      const days = new Intl.DateTimeFormat(ctx.state.locale, { dateStyle: 'medium', timeZone: 'UTC' });
      await organizationPage(
        ctx,
        actor,
        params,
        admin,
        'sso',
        {
          connection,
          testedAt: connection.testedAt ? times.format(connection.testedAt) : undefined,
          testClaims: Object.entries(connection.testClaims ?? {})
            .filter(([field]) => field !== 'received')
            .map(([field, value]) => [field, typeof value === 'string' ? value : JSON.stringify(value)]),
          certificates: connection.certificates.map((certificate) => ({ ...certificate, expires: days.format(certificate.notAfter) })),
        },
        'sso-connection',
      );
    },
  },
  {
    method: 'post',
    path: '/orgs/:organizationId/sso/:connectionId/test',
    role: 'admin',
    scope: 'organization',
    async handle(ctx, actor, params, admin) {
      const { url } = await admin.adminConnections.testSignInUrl(actor, params.organizationId!, params.connectionId!);
      seeOther(ctx, url);
    },
  },
  ...(['enable', 'disable'] as ConnectionAction[]).map(
    (action): AdminPage => ({
      method: 'post',
      path: `/orgs/:organizationId/sso/:connectionId/${action}`,
      role: 'admin',
      scope: 'organization',
      async handle(ctx, actor, params, admin) {
        await admin.adminConnections[action](actor, params.organizationId!, params.connectionId!);
        seeOther(ctx, connectionPath(params.organizationId, params.connectionId!), action === 'enable' ? 'connection_enabled' : 'connection_disabled');
      },
    }),
  ),
];
