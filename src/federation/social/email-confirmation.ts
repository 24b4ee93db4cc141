import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { LinkInvalidError } from '../../accounts/link-token.repository.ts';
import type { Config } from '../../config.ts';
import type { AccountRow } from '../../db/schema.ts';
import type { MailOutbox } from '../../mail/mail-outbox.ts';
import { publicLink } from '../../mail/public-link.ts';
import type { Locale } from '../../ui/i18n.ts';
import type { PendingLink } from '../linking-policy.ts';
import type { SocialAccountLinking } from './social-linking.ts';

const digest = (token: string) => createHash('sha256').update(token).digest();

/**
 * The other way out for an identity whose provider did not verify its email: the person confirms
 * an address by a link mailed to it. The token's digest lives in the pending link, that is in the
 * interaction, so the link only works in the browser that signed in at the provider: someone who
 * has a confirmation mail sent to another person's address cannot have it complete elsewhere.
 */
export class SocialEmailConfirmation {
  readonly #config: Config;
  readonly #outbox: MailOutbox;
  readonly #linking: SocialAccountLinking;

  constructor(deps: { config: Config; outbox: MailOutbox; linking: SocialAccountLinking }) {
    this.#config = deps.config;
    this.#outbox = deps.outbox;
    this.#linking = deps.linking;
  }

  /** A link works as long as an email verification link, but no longer than the sign-in (the interaction) it belongs to. */
  get lifetimeSeconds(): number {
    return Math.min(this.#config.links.emailVerificationSeconds, this.#config.ttl.interactionSeconds);
  }

  get lifetimeHours(): number {
    return Math.max(1, Math.round(this.lifetimeSeconds / 3600));
  }

  /** Mails a confirmation link to `email`; returns the pending link to save, which now expects that link (and no older one). */
  /** `linkPath`: the confirmation page of the sign-in (the journey's URL), to which the token is added. */
  async send(link: PendingLink, email: string, request: { linkPath: string; provider: string; locale: Locale }): Promise<PendingLink> {
    const token = randomBytes(32).toString('base64url');
    const seconds = this.lifetimeSeconds;
    await this.#outbox.enqueue({
      to: email,
      template: 'social-confirm-email',
      locale: request.locale,
      data: {
        provider: request.provider,
        link: publicLink(this.#config.issuer, request.linkPath, { token }),
        hours: this.lifetimeHours,
      },
    });
    return { ...link, confirmation: { email, tokenDigest: digest(token).toString('base64url'), expiresAt: Date.now() + seconds * 1000 } };
  }

  /** The pending identity and the address to link it by, when `token` is the latest link sent for it and unexpired; LinkInvalidError otherwise. */
  check(link: PendingLink | undefined, token: string): { link: PendingLink; email: string } {
    const expected = link?.confirmation && Buffer.from(link.confirmation.tokenDigest, 'base64url');
    const valid = expected?.length === 32 && link?.confirmation && link.confirmation.expiresAt > Date.now() && timingSafeEqual(expected, digest(token));
    if (!valid || !link?.confirmation) throw new LinkInvalidError();
    return { link, email: link.confirmation.email };
  }

  /** Links the identity to the account of the confirmed address (created if none). */
  async confirm(pending: PendingLink | undefined, token: string): Promise<AccountRow> {
    const { link, email } = this.check(pending, token);
    return this.#linking.linkConfirmedEmail(link, email);
  }
}
