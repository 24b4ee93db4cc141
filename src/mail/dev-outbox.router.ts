import Router from '@koa/router';
import { renderPage } from '../ui/views.ts';
import type { MailOutbox } from './mail-outbox.ts';
import type { OutgoingMailRepository } from './outgoing-mail.repository.ts';

/**
 * /dev/mail: the latest queued mail, readable, with its links clickable. Outside production only
 * (createApp does not mount it there): the page shows live reset links.
 */
export function devOutboxRouter({ outgoingMails, outbox: mailOutbox }: { outgoingMails: OutgoingMailRepository; outbox: MailOutbox }): Router {
  const router = new Router();
  router.get('/dev/mail', async (ctx) => {
    const rows = await outgoingMails.listRecent(30);
    const mails = await Promise.all(
      rows.map(async (row) => {
        const content = await mailOutbox.open(row.content_encrypted).catch(() => ({ subject: '(unreadable)', text: '' }));
        return {
          recipient: row.recipient,
          status: row.status,
          attempts: row.attempts,
          createdAt: row.created_at.toISOString(),
          subject: content.subject,
          text: content.text,
          links: content.text.match(/https?:\/\/\S+/g) ?? [],
        };
      }),
    );
    renderPage(ctx, 'mail/dev-outbox', { mails });
  });
  return router;
}
