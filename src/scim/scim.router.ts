import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import type { Context, Middleware, Next } from 'koa';
import compose from 'koa-compose';
import type { AdminActor } from '../admin/admin-principal.ts';
import { requestOrigin } from '../http/request-context.ts';
import { discoveryDocuments, maxPageSize } from './scim-discovery.ts';
import { scimContentType, scimErrorBody, scimNotFound } from './scim-error.ts';
import type { ScimGroupsService } from './scim-groups.service.ts';
import { listResponseSchema, project, type ScimResource } from './scim-resources.ts';
import type { ScimTokensService } from './scim-tokens.service.ts';
import { scimBasePath } from './scim-tokens.service.ts';
import type { ScimList, ScimListQuery, ScimUsersService } from './scim-users.service.ts';

export interface ScimRouterDependencies {
  baseUrl: string;
  tokens: ScimTokensService;
  users: ScimUsersService;
  groups: ScimGroupsService;
}

const defaultPageSize = 100;

/** What the Users and Groups services have in common; `withMembers` is for Groups (excludedAttributes=members). */
interface ScimResourceService {
  list(actor: AdminActor, organizationId: string, query: ScimListQuery & { withMembers: boolean }): Promise<ScimList>;
  get(actor: AdminActor, organizationId: string, id: string, withMembers: boolean): Promise<ScimResource>;
  create(actor: AdminActor, organizationId: string, body: unknown): Promise<ScimResource>;
  replace(actor: AdminActor, organizationId: string, id: string, body: unknown): Promise<ScimResource>;
  patch(actor: AdminActor, organizationId: string, id: string, body: unknown): Promise<ScimResource>;
  delete(actor: AdminActor, organizationId: string, id: string): Promise<void>;
}

/** startIndex below 1 counts as 1, count below 0 as 0 (RFC 7644 section 3.4.2.4); count is capped. */
function listQuery(ctx: Context): ScimListQuery {
  const number = (name: string) => {
    const value = ctx.query[name];
    return typeof value === 'string' && /^-?\d{1,9}$/.test(value) ? Number(value) : undefined;
  };
  const filter = typeof ctx.query.filter === 'string' ? ctx.query.filter : undefined;
  return { filter, startIndex: Math.max(1, number('startIndex') ?? 1), count: Math.min(maxPageSize, Math.max(0, number('count') ?? defaultPageSize)) };
}

function attributeLists(ctx: Context) {
  const list = (name: string) => (typeof ctx.query[name] === 'string' ? (ctx.query[name] as string).split(',').map((part) => part.trim()) : undefined);
  return { attributes: list('attributes'), excludedAttributes: list('excludedAttributes') };
}

const excludesMembers = (ctx: Context) => attributeLists(ctx).excludedAttributes?.some((name) => name.toLowerCase() === 'members') ?? false;

function respond(ctx: Context, status: number, body: unknown, location?: string): void {
  ctx.set('Cache-Control', 'no-store');
  if (location) ctx.set('Location', location);
  ctx.status = status;
  ctx.type = scimContentType;
  ctx.body = body;
}

function respondList(ctx: Context, list: ScimList): void {
  const lists = attributeLists(ctx);
  respond(ctx, 200, {
    schemas: [listResponseSchema],
    totalResults: list.totalResults,
    startIndex: list.startIndex,
    itemsPerPage: list.resources.length,
    Resources: list.resources.map((resource) => project(resource, lists)),
  });
}

const respondResource = (ctx: Context, resource: ScimResource, status = 200) =>
  respond(ctx, status, project(resource, attributeLists(ctx)), status === 201 ? resource.meta.location : undefined);

/**
 * /scim/v2 (RFC 7644): Users and Groups of the organization whose token the request carries, the
 * discovery documents, errors in the SCIM error schema. The organization comes from the token only:
 * no URL names another one.
 */
export function scimApi(deps: ScimRouterDependencies): Middleware {
  const { tokens, users, groups } = deps;
  const documents = discoveryDocuments(deps.baseUrl);
  const router = new Router({ prefix: scimBasePath });

  router.get('/ServiceProviderConfig', (ctx) => respond(ctx, 200, documents.serviceProviderConfig));
  router.get('/ResourceTypes', (ctx) => respond(ctx, 200, documents.list(documents.resourceTypes)));
  router.get('/ResourceTypes/:name', (ctx) => {
    const found = documents.resourceTypes.find((type) => type.id === ctx.params.name);
    if (!found) throw scimNotFound();
    respond(ctx, 200, found);
  });
  router.get('/Schemas', (ctx) => respond(ctx, 200, documents.list(documents.schemas)));
  router.get('/Schemas/:id', (ctx) => {
    const found = documents.schemas.find((schema) => schema.id === ctx.params.id);
    if (!found) throw scimNotFound();
    respond(ctx, 200, found);
  });

  const authenticated = async (ctx: Context): Promise<{ actor: AdminActor; organizationId: string }> => {
    const principal = await tokens.principal(ctx.get('authorization'));
    return { actor: { principal, origin: requestOrigin(ctx) }, organizationId: principal.organizationId };
  };

  // Users and Groups answer the same six requests (RFC 7644 section 3).
  const resourceRoutes = (path: string, service: ScimResourceService) => {
    router.get(path, async (ctx) => {
      const { actor, organizationId } = await authenticated(ctx);
      respondList(ctx, await service.list(actor, organizationId, { ...listQuery(ctx), withMembers: !excludesMembers(ctx) }));
    });
    router.post(path, async (ctx) => {
      const { actor, organizationId } = await authenticated(ctx);
      respondResource(ctx, await service.create(actor, organizationId, ctx.request.body), 201);
    });
    router.get(`${path}/:id`, async (ctx) => {
      const { actor, organizationId } = await authenticated(ctx);
      respondResource(ctx, await service.get(actor, organizationId, ctx.params.id!, !excludesMembers(ctx)));
    });
    router.put(`${path}/:id`, async (ctx) => {
      const { actor, organizationId } = await authenticated(ctx);
      respondResource(ctx, await service.replace(actor, organizationId, ctx.params.id!, ctx.request.body));
    });
    router.patch(`${path}/:id`, async (ctx) => {
      const { actor, organizationId } = await authenticated(ctx);
      respondResource(ctx, await service.patch(actor, organizationId, ctx.params.id!, ctx.request.body));
    });
    router.delete(`${path}/:id`, async (ctx) => {
      const { actor, organizationId } = await authenticated(ctx);
      await service.delete(actor, organizationId, ctx.params.id!);
      ctx.status = 204;
    });
  };
  resourceRoutes('/Users', users);
  resourceRoutes('/Groups', groups);

  const handle = compose([
    bodyParser({ enableTypes: ['json'], extendTypes: { json: ['application/scim+json'] }, jsonLimit: '64kb' }) as Middleware,
    router.routes(),
    router.allowedMethods({ throw: true }),
    () => {
      throw scimNotFound();
    },
  ]);
  return (ctx: Context, next: Next) => {
    if (ctx.path !== scimBasePath && !ctx.path.startsWith(`${scimBasePath}/`)) return next();
    ctx.state.errorBody = scimErrorBody;
    return handle(ctx as never, next);
  };
}
