import Router from '@koa/router';
import { formProtection } from '../../http/forms.ts';
import type { SetPasswordFlow } from '../set-password.page.ts';
import { showSetPassword, submitSetPassword } from '../set-password.page.ts';
import type { InvitationService } from './invitation.service.ts';

/** The invitation link: choose a password, which activates the invited account. */
export function invitationRouter(invitations: InvitationService): Router {
  const router = new Router();
  router.use(...formProtection);

  const invitation: SetPasswordFlow = {
    mode: 'invitation',
    action: '/invitation',
    retry: () => ({ key: 'link.ask_new_invitation' }),
    check: (token) => invitations.checkLink(token),
    complete: (_ctx, token, password) => invitations.accept(token, password),
  };

  router.get('/invitation', (ctx) => showSetPassword(ctx, invitation));
  router.post('/invitation', (ctx) => submitSetPassword(ctx, invitation));
  return router;
}
