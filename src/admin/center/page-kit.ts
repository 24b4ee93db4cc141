import type { Context } from 'koa';
import { renderPage } from '../../ui/views.ts';
import type { AdminModule } from '../admin.module.ts';
import { type AdminActor, isOperator, roleIn } from '../admin-principal.ts';
import type { AdminRole } from '../roles.ts';

/** The parameters a page path may name; every one is checked before the page's handler runs. */
export interface AdminPageParams {
  organizationId?: string;
  accountId?: string;
  domain?: string;
  clientId?: string;
  connectionId?: string;
}

/**
 * One admin center page or form action: like the admin API's route table, it names the role it
 * needs and where (the path's organization, or the platform), checked by the router before the
 * handler (deny by default); the handlers call the same services as the admin API, which
 * authorize again.
 */
export interface AdminPage {
  method: 'get' | 'post';
  path: string;
  role: AdminRole;
  scope: 'organization' | 'platform';
  handle(ctx: Context, actor: AdminActor, params: AdminPageParams, admin: AdminModule): Promise<void>;
}

/** A trimmed query or form value, or undefined when absent, blank or too long. */
export const text = (value: unknown, max = 200) => (typeof value === 'string' && value.trim() && value.length <= max ? value.trim() : undefined);

/** Post/redirect/get: back to a page, with a notice it shows once. */
export function seeOther(ctx: Context, path: string, notice?: string): void {
  ctx.status = 303;
  ctx.redirect(notice ? `${path}?${new URLSearchParams({ notice })}` : path);
}

export const noticeOf = (ctx: Context) => (typeof ctx.query.notice === 'string' && /^[a-z_]{1,40}$/.test(ctx.query.notice) ? ctx.query.notice : undefined);

export const orgPath = (params: AdminPageParams, rest = '') => `/admin/orgs/${params.organizationId}${rest}`;

/** The organization pages' common frame: which organization, which tab (its view, unless another is named), the actor's role there. */
export async function organizationPage(
  ctx: Context,
  actor: AdminActor,
  params: AdminPageParams,
  admin: AdminModule,
  tab: string,
  data: Record<string, unknown>,
  view = tab,
) {
  const organization = await admin.adminOrganizations.get(actor, params.organizationId!);
  renderPage(ctx, `admin/${view}`, {
    organization,
    tab,
    operator: isOperator(actor.principal),
    role: roleIn(actor.principal, params.organizationId!),
    notice: noticeOf(ctx),
    ...data,
  });
}
