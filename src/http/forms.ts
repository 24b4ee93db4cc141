import { z } from 'zod';
import { csrfProtection } from './csrf.ts';
import { BadRequestError } from './errors.ts';
import { formBody } from './form-body.ts';

/** For routers serving our own forms: the one form-body parser (urlencoded only), then the CSRF check. */
export const formProtection = [formBody, csrfProtection];

export function parseForm<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const parsed = schema.safeParse(body ?? {});
  if (!parsed.success) throw new BadRequestError('http.bad_request');
  return parsed.data;
}

/** The sign-in to go back to afterwards (?interaction=<uid>); anything malformed is simply dropped. */
export const interactionUid = z
  .string()
  .regex(/^[\w-]{1,64}$/)
  .optional()
  .catch(undefined);

/** A token from an emailed link: base64url, bounded. */
export const linkToken = z.string().regex(/^[\w-]{20,100}$/);
