import type Provider from 'oidc-provider';
import type { LogoutDeliveryRow } from '../../db/schema.ts';

export const backchannelLogoutEvent = 'http://schemas.openid.net/event/backchannel-logout';

export interface SignedLogoutToken {
  uri: string;
  token: string;
}

/**
 * Builds the logout token as oidc-provider's own Client#backchannelLogout does, through its IdToken
 * with use `logout`: typ `logout+jwt`, iss, aud (the client id), iat, exp (2 minutes), sub, the
 * back-channel logout event, the jti, `sid` when the app asked for it, never a nonce; signed with
 * the app's ID token algorithm and the provider's current key. Signed at each attempt, so a token
 * sent after a retry is fresh and signed with the keys published then. Undefined when the app was
 * deleted or no longer has a back-channel logout URI.
 */
export async function signLogoutToken(provider: Provider, delivery: LogoutDeliveryRow): Promise<SignedLogoutToken | undefined> {
  const client = await provider.Client.find(delivery.client_id);
  if (!client?.backchannelLogoutUri) return undefined;
  const logoutToken = new provider.IdToken({ sub: delivery.subject }, { client });
  // Only sub is a claim of the token; the mask lets the claims machinery keep it.
  (logoutToken as unknown as { mask: Record<string, null> }).mask = { sub: null };
  logoutToken.set('events', { [backchannelLogoutEvent]: {} });
  logoutToken.set('jti', delivery.jti);
  if (client.backchannelLogoutSessionRequired && delivery.sid) logoutToken.set('sid', delivery.sid);
  return { uri: client.backchannelLogoutUri, token: await logoutToken.issue({ use: 'logout' }) };
}
