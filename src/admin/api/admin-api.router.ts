import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import type { Context, Middleware, Next } from 'koa';
import compose from 'koa-compose';
import type { z } from 'zod';
import { AppError } from '../../http/errors.ts';
import { requestOrigin } from '../../http/request-context.ts';
import type { AdminModule } from '../admin.module.ts';
import { authorize } from '../admin-principal.ts';
import type { AdminApiRoute, FileResponse } from './admin-api.routes.ts';
import { adminApiDocument } from './openapi.ts';

export const adminApiPrefix = '/admin/api/v1';

declare module 'koa' {
  interface DefaultState {
    /** Errors are answered as JSON whatever the Accept header says (APIs). */
    jsonErrors?: boolean;
  }
}

const koaPath = (openApiPath: string) => openApiPath.replace(/\{(\w+)\}/g, ':$1');

function parseInput<T extends z.ZodType | undefined>(schema: T, value: unknown, failure: () => AppError): T extends z.ZodType ? z.infer<T> : undefined {
  if (!schema) return undefined as never;
  const parsed = schema.safeParse(value ?? {});
  if (!parsed.success) throw failure();
  return parsed.data as never;
}

const isFile = (value: unknown): value is FileResponse => typeof value === 'object' && value !== null && 'file' in value;

/**
 * /admin/api/v1: every route of the table behind a bearer token and the role the table names
 * (deny by default: a path the table does not list is 404), plus the public OpenAPI document.
 */
export function adminApi(routes: readonly AdminApiRoute[], deps: { issuer: string; admin: AdminModule }): Middleware {
  const { admin } = deps;
  const router = new Router({ prefix: adminApiPrefix });
  const document = JSON.stringify(adminApiDocument(routes, deps.issuer));
  router.get('/openapi.json', (ctx) => {
    ctx.type = 'application/json';
    ctx.body = document;
  });
  for (const route of routes) {
    router[route.method](koaPath(route.path), async (ctx) => {
      const principal = await admin.adminApiTokens.principal(ctx.get('authorization'));
      // A malformed id names nothing: 404 like any other object the caller cannot see.
      const params = parseInput(route.params, ctx.params, () => new AppError('admin.not_found', 404));
      authorize(principal, route.role, route.scope === 'organization' ? (params as { organizationId: string }).organizationId : undefined);
      const query = parseInput(route.query, ctx.query, () => new AppError('admin.invalid_request', 400));
      const body = parseInput(route.body, ctx.request.body, () => new AppError('admin.invalid_request', 400));
      const origin = requestOrigin(ctx);
      const result = await route.handle({ params, query, body }, { principal, origin }, admin);
      ctx.set('Cache-Control', 'no-store');
      ctx.status = route.status;
      if (isFile(result)) {
        ctx.type = result.file.contentType;
        ctx.body = result.file.body;
      } else if (route.status !== 204) {
        ctx.body = result;
      }
    });
  }
  const handle = compose([
    bodyParser({ enableTypes: ['json'], jsonLimit: '64kb', onError: () => {} }) as Middleware,
    router.routes(),
    router.allowedMethods({ throw: true }),
    () => {
      throw new AppError('admin.not_found', 404);
    },
  ]);
  return (ctx: Context, next: Next) => {
    if (ctx.path !== adminApiPrefix && !ctx.path.startsWith(`${adminApiPrefix}/`)) return next();
    ctx.state.jsonErrors = true;
    return handle(ctx as never, next);
  };
}
