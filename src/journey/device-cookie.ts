import type { Context } from 'koa';
import { newDeviceToken } from '../factors/device-check.service.ts';

/** The browser's device cookie: a random value bound to a server-side row per account, nothing else (no fingerprinting). */
const deviceCookie = 'signin.device';
const deviceCookieMaxAgeMs = 400 * 24 * 60 * 60 * 1000;

export function deviceTokenOf(ctx: Context): string | undefined {
  return ctx.cookies.get(deviceCookie, { signed: true }) || undefined;
}

/** This browser's device token, set now if it has none yet. */
export function ensureDeviceToken(ctx: Context): string {
  const existing = deviceTokenOf(ctx);
  if (existing) return existing;
  const token = newDeviceToken();
  ctx.cookies.set(deviceCookie, token, { signed: true, httpOnly: true, sameSite: 'lax', maxAge: deviceCookieMaxAgeMs, overwrite: true, secure: ctx.secure });
  return token;
}
