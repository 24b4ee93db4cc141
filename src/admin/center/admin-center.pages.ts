import type { Context } from 'koa';
import { z } from 'zod';
import { parseForm } from '../../http/forms.ts';
import { isLocale } from '../../ui/i18n.ts';
import { renderPage } from '../../ui/views.ts';
import type { AdminModule } from '../admin.module.ts';
import { type AdminActor, isOperator, roleIn } from '../admin-principal.ts';
import { auditEventsAsCsv, auditEventsAsNdjson } from '../audit-export.ts';
import { mayGrant, organizationRoles } from '../roles.ts';
import { appPages } from './apps.pages.ts';
import { type AdminPage, type AdminPageParams, noticeOf, organizationPage, orgPath, seeOther, text } from './page-kit.ts';
import { ssoPages } from './sso.pages.ts';

const usersPageSize = 25;
const auditPageSize = 50;

const emailField = z.string().trim().toLowerCase().email().max(320);
const inviteForm = z.object({ email: emailField, name: z.string().trim().max(200).optional() });
const grantForm = z.object({ email: emailField, role: z.enum(organizationRoles) });
const claimForm = z.object({ domain: z.string().trim().toLowerCase().min(3).max(253) });
const newOrganizationForm = z.object({ name: z.string().trim().min(1).max(200) });
/** As the CLI's `clients initial-access-token --expires-in` (60 seconds to 30 days). */
const initialAccessTokenForm = z.object({
  expires_in: z
    .union([
      z.literal(''),
      z.coerce
        .number()
        .int()
        .min(60)
        .max(30 * 86_400),
    ])
    .optional(),
});

const pageNumber = (value: unknown) => Math.max(1, Math.min(10_000, Number.parseInt(text(value, 6) ?? '1', 10) || 1));
const day = (value: unknown) => {
  const date = text(value, 10);
  return date && /^\d{4}-\d{2}-\d{2}$/.test(date) && !Number.isNaN(Date.parse(date)) ? date : undefined;
};

/** The audit filters of a query string, as the page and its export links use them. */
function auditQuery(ctx: Context) {
  return {
    action: text(ctx.query.action, 100),
    actor: text(ctx.query.actor, 100),
    target: text(ctx.query.target, 320),
    since: day(ctx.query.since),
    until: day(ctx.query.until),
  };
}

function auditFilters(query: ReturnType<typeof auditQuery>, limit: number, before?: { createdAt: Date; id: string }) {
  const until = query.until ? new Date(Date.parse(query.until) + 24 * 3600 * 1000) : undefined;
  return { action: query.action, actorId: query.actor, targetId: query.target, since: query.since ? new Date(query.since) : undefined, until, limit, before };
}

/** "Older" paging cursor: the last event shown, as `<ISO time>_<id>`. */
function cursorOf(value: unknown): { createdAt: Date; id: string } | undefined {
  const match = /^(\d{4}-\d{2}-\d{2}T[\d:.]+Z)_([0-9a-f-]{36})$/.exec(text(value, 80) ?? '');
  return match ? { createdAt: new Date(match[1]!), id: match[2]! } : undefined;
}

type UserActionName = 'disable' | 'enable' | 'remove' | 'sign-out-everywhere' | 'reset-factors';
const userActions: Record<
  UserActionName,
  { notice: string; run: (admin: AdminModule, actor: AdminActor, organizationId: string, accountId: string) => Promise<unknown> }
> = {
  disable: { notice: 'disabled', run: (admin, ...args) => admin.organizationUsers.disable(...args) },
  enable: { notice: 'enabled', run: (admin, ...args) => admin.organizationUsers.enable(...args) },
  remove: { notice: 'removed', run: (admin, ...args) => admin.organizationUsers.remove(...args) },
  'sign-out-everywhere': { notice: 'signed_out_everywhere', run: (admin, ...args) => admin.organizationUsers.signOutEverywhere(...args) },
  'reset-factors': { notice: 'factors_reset', run: (admin, ...args) => admin.organizationUsers.resetFactors(...args) },
};

export const adminCenterPages: AdminPage[] = [
  {
    method: 'get',
    path: '/',
    role: 'admin',
    scope: 'platform',
    async handle(ctx, actor, _params, admin) {
      const organizations = await admin.adminOrganizations.list(actor);
      const operator = isOperator(actor.principal);
      // An admin of one organization has nothing to choose: straight to its people.
      if (!operator && organizations.length === 1) return seeOther(ctx, `/admin/orgs/${organizations[0]!.id}/users`);
      renderPage(ctx, 'admin/home', { organizations, operator, notice: noticeOf(ctx) });
    },
  },
  {
    method: 'post',
    path: '/organizations',
    role: 'operator',
    scope: 'platform',
    async handle(ctx, actor, _params, admin) {
      const created = await admin.adminOrganizations.create(actor, parseForm(newOrganizationForm, ctx.request.body));
      seeOther(ctx, `/admin/orgs/${created.id}/users`, 'organization_created');
    },
  },
  {
    method: 'get',
    path: '/orgs/:organizationId/users',
    role: 'admin',
    scope: 'organization',
    async handle(ctx, actor, params, admin) {
      const search = text(ctx.query.q, 100);
      const page = pageNumber(ctx.query.page);
      const { members, total } = await admin.organizationUsers.list(actor, params.organizationId!, {
        search,
        limit: usersPageSize,
        offset: (page - 1) * usersPageSize,
      });
      const pages = Math.max(1, Math.ceil(total / usersPageSize));
      await organizationPage(ctx, actor, params, admin, 'users', { members, total, search: search ?? '', page, pages });
    },
  },
  {
    method: 'post',
    path: '/orgs/:organizationId/users',
    role: 'admin',
    scope: 'organization',
    async handle(ctx, actor, params, admin) {
      const form = parseForm(inviteForm, ctx.request.body);
      const locale = isLocale(ctx.state.locale) ? ctx.state.locale : 'en';
      await admin.organizationUsers.invite(actor, params.organizationId!, { email: form.email, name: form.name || undefined, locale });
      seeOther(ctx, orgPath(params, '/users'), 'invited');
    },
  },
  ...(Object.keys(userActions) as UserActionName[]).map(
    (name): AdminPage => ({
      method: 'post',
      path: `/orgs/:organizationId/users/:accountId/${name}`,
      role: 'admin',
      scope: 'organization',
      async handle(ctx, actor, params, admin) {
        await userActions[name].run(admin, actor, params.organizationId!, params.accountId!);
        seeOther(ctx, orgPath(params, '/users'), userActions[name].notice);
      },
    }),
  ),
  {
    method: 'get',
    path: '/orgs/:organizationId/admins',
    role: 'admin',
    scope: 'organization',
    async handle(ctx, actor, params, admin) {
      const admins = await admin.organizationAdmins.list(actor, params.organizationId!);
      const held = roleIn(actor.principal, params.organizationId!);
      const grantable = organizationRoles.filter((role) => held && mayGrant(held, role));
      await organizationPage(ctx, actor, params, admin, 'admins', {
        admins: admins.map((row) => ({ ...row, revocable: held !== undefined && mayGrant(held, row.role) })),
        grantable,
      });
    },
  },
  {
    method: 'post',
    path: '/orgs/:organizationId/admins',
    role: 'admin',
    scope: 'organization',
    async handle(ctx, actor, params, admin) {
      await admin.organizationAdmins.grant(actor, params.organizationId!, parseForm(grantForm, ctx.request.body));
      seeOther(ctx, orgPath(params, '/admins'), 'role_granted');
    },
  },
  {
    method: 'post',
    path: '/orgs/:organizationId/admins/:accountId/revoke',
    role: 'admin',
    scope: 'organization',
    async handle(ctx, actor, params, admin) {
      await admin.organizationAdmins.revoke(actor, params.organizationId!, params.accountId!);
      seeOther(ctx, orgPath(params, '/admins'), 'role_revoked');
    },
  },
  {
    method: 'get',
    path: '/orgs/:organizationId/domains',
    role: 'admin',
    scope: 'organization',
    handle: (ctx, actor, params, admin) => organizationPage(ctx, actor, params, admin, 'domains', {}),
  },
  {
    method: 'post',
    path: '/orgs/:organizationId/domains',
    role: 'admin',
    scope: 'organization',
    async handle(ctx, actor, params, admin) {
      await admin.adminOrganizations.claimDomain(actor, params.organizationId!, parseForm(claimForm, ctx.request.body).domain);
      seeOther(ctx, orgPath(params, '/domains'), 'domain_claimed');
    },
  },
  {
    method: 'post',
    path: '/orgs/:organizationId/domains/:domain/verify',
    role: 'admin',
    scope: 'organization',
    async handle(ctx, actor, params, admin) {
      const claim = await admin.adminOrganizations.verifyDomain(actor, params.organizationId!, params.domain!);
      seeOther(ctx, orgPath(params, '/domains'), claim.verified ? 'domain_verified' : 'domain_not_verified');
    },
  },
  {
    method: 'get',
    path: '/orgs/:organizationId/audit',
    role: 'admin',
    scope: 'organization',
    async handle(ctx, actor, params, admin) {
      const query = auditQuery(ctx);
      const rows = await admin.auditEvents.list(actor, params.organizationId!, auditFilters(query, auditPageSize + 1, cursorOf(ctx.query.before)));
      const events = rows.slice(0, auditPageSize);
      const last = events.at(-1);
      const filterQuery = Object.fromEntries(Object.entries(query).filter((entry): entry is [string, string] => entry[1] !== undefined));
      const olderUrl =
        rows.length > auditPageSize && last
          ? `${orgPath(params, '/audit')}?${new URLSearchParams({ ...filterQuery, before: `${last.createdAt.toISOString()}_${last.id}` })}`
          : undefined;
      const exportUrl = (format: string) => `${orgPath(params, '/audit/export')}?${new URLSearchParams({ ...filterQuery, format })}`;
      const times = new Intl.DateTimeFormat(ctx.state.locale, { dateStyle: 'medium', timeStyle: 'medium', timeZone: 'UTC' });
      await organizationPage(ctx, actor, params, admin, 'audit', {
        events: events.map((event) => ({
          ...event,
          when: times.format(event.createdAt),
          details: JSON.stringify({ before: event.before, after: event.after }),
        })),
        query: { action: '', actor: '', target: '', since: '', until: '', ...filterQuery },
        olderUrl,
        csvUrl: exportUrl('csv'),
        ndjsonUrl: exportUrl('ndjson'),
      });
    },
  },
  {
    method: 'get',
    path: '/orgs/:organizationId/audit/export',
    role: 'admin',
    scope: 'organization',
    async handle(ctx, actor, params, admin) {
      const csv = ctx.query.format !== 'ndjson';
      const events = await admin.auditEvents.list(actor, params.organizationId!, auditFilters(auditQuery(ctx), 10_000));
      ctx.set('Cache-Control', 'no-store');
      ctx.set('Content-Disposition', `attachment; filename="audit-events.${csv ? 'csv' : 'ndjson'}"`);
      ctx.type = csv ? 'text/csv; charset=utf-8' : 'application/x-ndjson';
      ctx.body = csv ? auditEventsAsCsv(events) : auditEventsAsNdjson(events);
    },
  },
  {
    method: 'post',
    path: '/initial-access-token',
    role: 'operator',
    scope: 'platform',
    async handle(ctx, actor, _params, admin) {
      const form = parseForm(initialAccessTokenForm, ctx.request.body);
      const issued = await admin.adminApps.issueInitialAccessToken(actor, typeof form.expires_in === 'number' ? form.expires_in : 86_400);
      const times = new Intl.DateTimeFormat(ctx.state.locale, { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' });
      // Shown in this answer only.
      renderPage(ctx, 'admin/home', {
        organizations: await admin.adminOrganizations.list(actor),
        operator: true,
        notice: 'initial_access_token_issued',
        initialAccessToken: { token: issued.token, expiresAt: times.format(issued.expiresAt) },
        pageUrl: '/admin',
      });
    },
  },
  ...ssoPages,
  ...appPages,
];
