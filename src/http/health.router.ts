import Router from '@koa/router';
import { sql } from 'kysely';
import type { Db } from '../db/database.ts';

/** /healthz: the process answers. /readyz: it can reach its database, so it may take traffic. */
export function healthRouter(db: Db): Router {
  const router = new Router();
  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', async (ctx) => {
    try {
      await sql`select 1`.execute(db);
      ctx.body = { status: 'ready' };
    } catch {
      ctx.status = 503;
      ctx.body = { status: 'database unreachable' };
    }
  });
  return router;
}
