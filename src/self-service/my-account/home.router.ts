import Router from '@koa/router';

/** The service's home is My account (as the help pages say): `/` leads there, and /account through the sign-in when needed. */
export function homeRouter(): Router {
  const router = new Router();
  router.get('/', (ctx) => {
    ctx.redirect('/account');
  });
  return router;
}
