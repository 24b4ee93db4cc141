import Router from '@koa/router';
import { formProtection } from '../http/forms.ts';
import type { SetPasswordFlow } from '../recovery/set-password.page.ts';
import { showSetPassword, submitSetPassword } from '../recovery/set-password.page.ts';
import type { Services } from '../services.ts';

/** The invitation link: choose a password, which activates the invited account. */
export function invitationRouter(services: Services): Router {
  const router = new Router();
  router.use(...formProtection);

  const invitation: SetPasswordFlow = {
    mode: 'invitation',
    action: '/invitation',
    retry: () => ({ key: 'link.ask_new_invitation' }),
    check: (token) => services.invitations.checkLink(token),
    complete: (_ctx, token, password) => services.invitations.accept(token, password),
  };

  router.get('/invitation', (ctx) => showSetPassword(ctx, invitation));
  router.post('/invitation', (ctx) => submitSetPassword(ctx, invitation));
  return router;
}
