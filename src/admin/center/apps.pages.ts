import type { Context } from 'koa';
import { z } from 'zod';
import { parseForm } from '../../http/forms.ts';
import { renderPage } from '../../ui/views.ts';
import type { AdminModule } from '../admin.module.ts';
import type { AppsOwner } from '../admin-apps.service.ts';
import type { AdminActor } from '../admin-principal.ts';
import type { AdminRole } from '../roles.ts';
import { type AdminPage, type AdminPageParams, noticeOf, organizationPage, seeOther } from './page-kit.ts';

/** One URI a line (a textarea); blank lines dropped. */
const uriLines = z
  .string()
  .max(20_000)
  .default('')
  .transform((value) =>
    value
      .split(/\r?\n/)
      .map((line) => line.trim())
      .filter(Boolean),
  );
const appKinds = { web: {}, public: { isPublic: true }, service: { grantTypes: ['client_credentials'] } } as const;
const newAppForm = z.object({
  name: z.string().trim().min(1).max(200),
  kind: z.enum(Object.keys(appKinds) as [keyof typeof appKinds]).default('web'),
  redirect_uris: uriLines,
  post_logout_redirect_uris: uriLines,
});
const redirectUrisForm = z.object({ redirect_uris: uriLines, post_logout_redirect_uris: uriLines });
const rotateForm = z.object({ grace_days: z.union([z.literal(''), z.coerce.number().int().min(0).max(365)]).optional() });

type PageData = Record<string, unknown>;

/**
 * Where a set of apps is managed: an organization's Apps tab (its admins, where an operator allows
 * it), or the platform's own apps page (operators). The pages are the same; what differs is here.
 */
interface AppsPlace {
  /** The route of the list, under /admin. */
  path: string;
  role: AdminRole;
  scope: AdminPage['scope'];
  owner(params: AdminPageParams): AppsOwner;
  render(ctx: Context, actor: AdminActor, params: AdminPageParams, admin: AdminModule, view: string, data: PageData): Promise<void>;
}

const organizationApps: AppsPlace = {
  path: '/orgs/:organizationId/apps',
  role: 'admin',
  scope: 'organization',
  owner: (params) => params.organizationId!,
  render: (ctx, actor, params, admin, view, data) => organizationPage(ctx, actor, params, admin, 'apps', data, view),
};

const platformApps: AppsPlace = {
  path: '/apps',
  role: 'operator',
  scope: 'platform',
  owner: () => null,
  render: async (ctx, _actor, _params, _admin, view, data) => renderPage(ctx, `admin/${view}`, { tab: 'apps', operator: true, notice: noticeOf(ctx), ...data }),
};

/** The list, registration, an app's page and its forms, in one place. */
function appsPages(place: AppsPlace): AdminPage[] {
  const { role, scope } = place;
  const listPath = (params: AdminPageParams) => `/admin${place.path.replace(':organizationId', params.organizationId ?? '')}`;
  const appPath = (params: AdminPageParams, clientId = params.clientId!) => `${listPath(params)}/${encodeURIComponent(clientId)}`;
  const showSecret = async (ctx: Context, actor: AdminActor, params: AdminPageParams, admin: AdminModule, clientId: string, data: PageData) =>
    // The secret is shown in this answer only (never in a URL, never again).
    place.render(ctx, actor, params, admin, 'app-secret', {
      app: await admin.adminApps.get(actor, place.owner(params), clientId),
      appsPath: listPath(params),
      pageUrl: appPath(params, clientId),
      ...data,
    });
  return [
    {
      method: 'get',
      path: place.path,
      role,
      scope,
      async handle(ctx, actor, params, admin) {
        const allowed = await admin.adminApps.mayManage(actor, place.owner(params));
        const apps = allowed ? await admin.adminApps.list(actor, place.owner(params)) : [];
        await place.render(ctx, actor, params, admin, 'apps', { allowed, apps, appsPath: listPath(params) });
      },
    },
    {
      method: 'post',
      path: place.path,
      role,
      scope,
      async handle(ctx, actor, params, admin) {
        const form = parseForm(newAppForm, ctx.request.body);
        const created = await admin.adminApps.create(actor, place.owner(params), {
          name: form.name,
          redirectUris: form.redirect_uris,
          postLogoutRedirectUris: form.post_logout_redirect_uris,
          ...appKinds[form.kind],
        });
        if (!created.clientSecret) return seeOther(ctx, appPath(params, created.clientId), 'app_created');
        await showSecret(ctx, actor, params, admin, created.clientId, {
          clientSecret: created.clientSecret,
          previousSecretExpiresAt: undefined,
          notice: 'app_created',
        });
      },
    },
    {
      method: 'get',
      path: `${place.path}/:clientId`,
      role,
      scope,
      async handle(ctx, actor, params, admin) {
        const app = await admin.adminApps.get(actor, place.owner(params), params.clientId!);
        await place.render(ctx, actor, params, admin, 'app', { app, appsPath: listPath(params), graceDays: admin.adminApps.defaultGraceDays });
      },
    },
    {
      method: 'post',
      path: `${place.path}/:clientId/redirect-uris`,
      role,
      scope,
      async handle(ctx, actor, params, admin) {
        const form = parseForm(redirectUrisForm, ctx.request.body);
        await admin.adminApps.updateRedirectUris(actor, place.owner(params), params.clientId!, {
          redirectUris: form.redirect_uris,
          postLogoutRedirectUris: form.post_logout_redirect_uris,
        });
        seeOther(ctx, appPath(params), 'redirect_uris_saved');
      },
    },
    {
      method: 'post',
      path: `${place.path}/:clientId/rotate-secret`,
      role,
      scope,
      async handle(ctx, actor, params, admin) {
        const form = parseForm(rotateForm, ctx.request.body);
        const graceDays = typeof form.grace_days === 'number' ? form.grace_days : undefined;
        const rotated = await admin.adminApps.rotateSecret(actor, place.owner(params), params.clientId!, { graceDays });
        const times = new Intl.DateTimeFormat(ctx.state.locale, { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' });
        await showSecret(ctx, actor, params, admin, params.clientId!, {
          clientSecret: rotated.clientSecret,
          previousSecretExpiresAt: rotated.previousSecretExpiresAt ? times.format(rotated.previousSecretExpiresAt) : null,
          notice: 'secret_rotated',
        });
      },
    },
    {
      method: 'post',
      path: `${place.path}/:clientId/delete`,
      role,
      scope,
      async handle(ctx, actor, params, admin) {
        await admin.adminApps.delete(actor, place.owner(params), params.clientId!);
        seeOther(ctx, listPath(params), 'app_deleted');
      },
    },
  ];
}

export const appPages: AdminPage[] = [...appsPages(organizationApps), ...appsPages(platformApps)];
