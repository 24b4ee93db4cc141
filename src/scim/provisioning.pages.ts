import type { Context } from 'koa';
import { z } from 'zod';
import type { AdminModule } from '../admin/admin.module.ts';
import type { AdminActor } from '../admin/admin-principal.ts';
import { type AdminPage, type AdminPageParams, organizationPage, orgPath, seeOther } from '../admin/center/page-kit.ts';
import { parseForm } from '../http/forms.ts';
import type { ScimModule } from './scim.module.ts';
import { defaultScimTokenDays } from './scim-tokens.service.ts';

const scimTokenForm = z.object({ expires_days: z.union([z.literal(''), z.coerce.number().int().min(1).max(1095)]).optional() });
const revokeScimTokenForm = z.object({ token_id: z.uuid() });

/**
 * The admin center's Provisioning tab (owners): the SCIM base URL, the organization's tokens, one
 * issued (shown once) or revoked. Here rather than in src/admin, which SCIM builds on.
 */
export function provisioningPages(scim: Pick<ScimModule, 'tokens' | 'baseUrl'>): AdminPage[] {
  return [
    {
      method: 'get',
      path: '/orgs/:organizationId/provisioning',
      role: 'owner',
      scope: 'organization',
      handle: (ctx, actor, params, admin) => provisioningPage(scim, ctx, actor, params, admin),
    },
    {
      method: 'post',
      path: '/orgs/:organizationId/provisioning',
      role: 'owner',
      scope: 'organization',
      async handle(ctx, actor, params, admin) {
        const form = parseForm(scimTokenForm, ctx.request.body);
        const expiresInDays = typeof form.expires_days === 'number' ? form.expires_days : defaultScimTokenDays;
        const issued = await scim.tokens.issue(actor, params.organizationId!, { expiresInDays });
        // The token is shown in this answer only.
        await provisioningPage(scim, ctx, actor, params, admin, { issued, notice: 'scim_token_issued', pageUrl: orgPath(params, '/provisioning') });
      },
    },
    {
      method: 'post',
      path: '/orgs/:organizationId/provisioning/revoke',
      role: 'owner',
      scope: 'organization',
      async handle(ctx, actor, params, admin) {
        await scim.tokens.revoke(actor, params.organizationId!, parseForm(revokeScimTokenForm, ctx.request.body).token_id);
        seeOther(ctx, orgPath(params, '/provisioning'), 'scim_token_revoked');
      },
    },
  ];
}

/** The organization's SCIM provisioning: where the IdP sends its requests, its tokens, and one just issued. */
async function provisioningPage(
  scim: Pick<ScimModule, 'tokens' | 'baseUrl'>,
  ctx: Context,
  actor: AdminActor,
  params: AdminPageParams,
  admin: AdminModule,
  data: Record<string, unknown> = {},
) {
  const times = new Intl.DateTimeFormat(ctx.state.locale, { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' });
  const now = Date.now();
  const tokens = (await scim.tokens.list(actor, params.organizationId!)).map((token) => ({
    ...token,
    created: times.format(token.createdAt),
    expires: times.format(token.expiresAt),
    lastUsed: token.lastUsedAt ? times.format(token.lastUsedAt) : null,
    state: token.revokedAt ? 'revoked' : token.expiresAt.getTime() <= now ? 'expired' : 'active',
  }));
  const issued = data.issued as { baseUrl: string; token: string; expiresAt: Date } | undefined;
  await organizationPage(ctx, actor, params, admin, 'provisioning', {
    ...data,
    baseUrl: scim.baseUrl,
    tokens,
    issued: issued ? { ...issued, expires: times.format(issued.expiresAt) } : undefined,
    defaultDays: defaultScimTokenDays,
  });
}
