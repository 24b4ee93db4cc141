import type { Context } from 'koa';
import { LinkInvalidError } from '../accounts/link-token.repository.ts';
import { linkToken } from '../http/forms.ts';
import { renderAccountPage } from './sign-in-return.ts';

/** Where to get a new link when one no longer works. */
export interface LinkRetry {
  url?: string;
  key: string;
}

export function parseLinkToken(value: unknown): string {
  const token = linkToken.safeParse(value);
  if (!token.success) throw new LinkInvalidError();
  return token.data;
}

/**
 * Runs a page behind an emailed link; an unusable link (unknown, expired, used, superseded) gets one
 * page saying so, with the way to a new link.
 */
export async function withValidLink(ctx: Context, retry: LinkRetry, page: () => Promise<void>): Promise<void> {
  try {
    await page();
  } catch (error) {
    if (!(error instanceof LinkInvalidError)) throw error;
    renderAccountPage(ctx, 'recovery/link-invalid', { retryUrl: retry.url, retryKey: retry.key }, { status: 400 });
  }
}

export function withInteraction(path: string, interaction: string | undefined, params: Record<string, string> = {}): string {
  const query = new URLSearchParams({ ...params, ...(interaction ? { interaction } : {}) }).toString();
  return query ? `${path}?${query}` : path;
}
