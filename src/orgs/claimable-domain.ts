import { DOMAINS as freeMailDomains } from 'free-email-domains-list/build/src/constants.js';
import { parse } from 'tldts';
import { AppError } from '../http/errors.ts';

/**
 * Whether an organization may claim `domain`: never a public suffix (co.uk, github.io: its
 * subdomains belong to unrelated owners) nor a free-mail provider (gmail.com: its users are not
 * one company's staff), so a claim can never route strangers to a company's IdP.
 */
export function assertClaimableDomain(domain: string): void {
  const parsed = parse(domain, { allowPrivateDomains: true });
  if (parsed.isIp || !parsed.domain) {
    throw new AppError('orgs.domain_public_suffix', 400, { message: `${domain} is a public suffix: claim a domain registered under it` });
  }
  if (freeMailDomains.has(domain) || freeMailDomains.has(parsed.domain)) {
    throw new AppError('orgs.domain_free_mail', 400, { message: `${domain} is a free email provider's domain: claim your organization's own domain` });
  }
}
