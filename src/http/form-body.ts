import { bodyParser } from '@koa/bodyparser';
import type { Context, Next } from 'koa';
import { AppError } from './errors.ts';

/**
 * Parses url-encoded form bodies for our own routes (oidc-provider parses its endpoints' bodies
 * itself). A body that cannot be decoded (a corrupt gzip stream) is the client's fault: the parser
 * throws a bare zlib error for it, which would otherwise become a 500.
 */
export function formBodyParser(formLimit: string) {
  const parseForm = bodyParser({ enableTypes: ['form'], formLimit });
  return async function formBodyMiddleware(ctx: Context, next: Next): Promise<void> {
    try {
      await parseForm(ctx, async () => {});
    } catch (error) {
      const status = (error as { status?: number }).status;
      if (status === 413) throw new AppError('http.payload_too_large', 413, { cause: error });
      throw status !== undefined && status >= 400 && status < 500 ? error : new AppError('http.bad_request', 400, { cause: error });
    }
    await next();
  };
}

export const formBody = formBodyParser('64kb');
