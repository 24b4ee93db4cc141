import { domainToASCII } from 'node:url';
import { z } from 'zod';

const hostname = /^(?=.{1,253}$)(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))+$/;

/** A domain as we store and compare it: ASCII (punycode), lower case, no trailing dot. */
export const domainSchema = z
  .string()
  .trim()
  .transform((value) => domainToASCII(value.toLowerCase().replace(/\.$/, '')))
  .pipe(z.string().regex(hostname, 'must be a domain name such as example.com'));

/** The domain part of an email address, normalized like stored domains; undefined when there is none. */
export function emailDomain(email: string): string | undefined {
  const at = email.lastIndexOf('@');
  if (at < 0) return undefined;
  const parsed = domainSchema.safeParse(email.slice(at + 1));
  return parsed.success ? parsed.data : undefined;
}
