import { createHash } from 'node:crypto';
import * as oauth from 'openid-client';
import { randomId } from '../../crypto/random-id.ts';
import type { SecretBox } from '../../crypto/secret-box.ts';
import type { Db } from '../../db/database.ts';
import { AppError } from '../../http/errors.ts';
import { adminApiResource, adminApiScope } from '../../oidc/admin-api-resource.ts';
import { adminCenterCallbackPath, adminCenterClientId } from '../../oidc/admin-center-client.ts';
import type { AdminApiTokens } from '../admin-api-token.ts';
import type { AdminPrincipal } from '../admin-principal.ts';
import type { AdminCenterSessionRepository } from './admin-center-session.repository.ts';

/** What the browser keeps (in a signed cookie) between the authorization request and the callback. */
export interface PendingSignIn {
  state: string;
  nonce: string;
  codeVerifier: string;
  returnTo: string;
}

export interface AdminCenterSignInDependencies {
  db: Db;
  issuer: string;
  clientSecret: string;
  secretBox: SecretBox;
  sessions: AdminCenterSessionRepository;
  adminApiTokens: AdminApiTokens;
}

const hashOf = (sessionId: string) => createHash('sha256').update(sessionId).digest('base64url');
const signInFailed = (cause?: unknown) => new AppError('admin.sign_in_failed', 400, { cause });

/**
 * The admin center as a relying party of this very server (openid-client, code + PKCE): the
 * access token for the admin API is kept on the server, and every request turns it into a
 * principal exactly as the admin API does (AdminApiTokens), so there is one authorization path.
 * The instance must reach its own ISSUER for discovery and the token endpoint.
 */
export class AdminCenterSignIn {
  readonly #deps: AdminCenterSignInDependencies;
  #configuration: Promise<oauth.Configuration> | undefined;

  constructor(deps: AdminCenterSignInDependencies) {
    this.#deps = deps;
  }

  get redirectUri(): string {
    return `${this.#deps.issuer}${adminCenterCallbackPath}`;
  }

  async start(returnTo: string, locale: string): Promise<{ url: string; pending: PendingSignIn }> {
    const pending = { state: oauth.randomState(), nonce: oauth.randomNonce(), codeVerifier: oauth.randomPKCECodeVerifier(), returnTo };
    const url = oauth.buildAuthorizationUrl(await this.#config(), {
      redirect_uri: this.redirectUri,
      scope: `openid email ${adminApiScope}`,
      resource: adminApiResource(this.#deps.issuer),
      code_challenge: await oauth.calculatePKCECodeChallenge(pending.codeVerifier),
      code_challenge_method: 'S256',
      state: pending.state,
      nonce: pending.nonce,
      ui_locales: locale,
    });
    return { url: url.toString(), pending };
  }

  /** Exchanges the code (server side) and opens an admin center session; returns its cookie value. */
  async finish(callbackUrl: URL, pending: PendingSignIn): Promise<{ sessionId: string; principal: AdminPrincipal }> {
    const { db, issuer, secretBox, sessions, adminApiTokens } = this.#deps;
    const tokens = await oauth
      .authorizationCodeGrant(
        await this.#config(),
        callbackUrl,
        { pkceCodeVerifier: pending.codeVerifier, expectedState: pending.state, expectedNonce: pending.nonce, idTokenExpected: true },
        { resource: adminApiResource(issuer) },
      )
      .catch((error: unknown) => {
        throw signInFailed(error);
      });
    const principal = await adminApiTokens.principal(`Bearer ${tokens.access_token}`);
    if (principal.kind !== 'account' || !tokens.id_token) throw signInFailed();
    const sessionId = randomId(32);
    const now = new Date();
    const [accessTokenEncrypted, idTokenEncrypted] = await Promise.all([secretBox.seal(tokens.access_token), secretBox.seal(tokens.id_token)]);
    await db.transaction().execute(async (trx) => {
      await sessions.deleteExpired(trx, now);
      await sessions.insert(trx, {
        idHash: hashOf(sessionId),
        accountId: principal.accountId,
        accessTokenEncrypted,
        idTokenEncrypted,
        expiresAt: new Date(now.getTime() + (tokens.expires_in ?? 300) * 1000),
      });
    });
    return { sessionId, principal };
  }

  /**
   * The principal of a live session, read again from the database on every request (a role
   * taken away or an account disabled applies at once). Undefined when the session is unknown or
   * its token expired: the browser signs in again, silently while its sign-in session lasts.
   */
  async principal(sessionId: string | undefined): Promise<AdminPrincipal | undefined> {
    if (!sessionId) return undefined;
    const { db, secretBox, sessions, adminApiTokens } = this.#deps;
    const session = await sessions.find(db, hashOf(sessionId));
    if (!session || session.expires_at <= new Date()) return undefined;
    const accessToken = await secretBox.open(session.access_token_encrypted);
    return adminApiTokens.principal(`Bearer ${accessToken}`).catch((error: unknown) => {
      if (error instanceof AppError && error.code === 'admin.unauthenticated') return undefined;
      throw error;
    });
  }

  /** Ends the admin center session; returns where RP-initiated logout ends the sign-in session too. */
  async signOut(sessionId: string | undefined): Promise<string> {
    const { db, issuer, secretBox, sessions } = this.#deps;
    const session = sessionId ? await sessions.find(db, hashOf(sessionId)) : undefined;
    const idToken = session ? await secretBox.open(session.id_token_encrypted) : undefined;
    if (session) await sessions.delete(db, session.id_hash);
    const url = oauth.buildEndSessionUrl(await this.#config(), {
      post_logout_redirect_uri: `${issuer}/admin`,
      client_id: adminCenterClientId,
      ...(idToken ? { id_token_hint: idToken } : {}),
    });
    return url.toString();
  }

  /** Discovery of this server, once per instance (again after a failure). */
  #config(): Promise<oauth.Configuration> {
    const { issuer, clientSecret } = this.#deps;
    this.#configuration ??= oauth
      .discovery(new URL(issuer), adminCenterClientId, clientSecret, oauth.ClientSecretBasic(clientSecret), {
        ...(new URL(issuer).protocol === 'http:' ? { execute: [oauth.allowInsecureRequests] } : {}),
      })
      .catch((error: unknown) => {
        this.#configuration = undefined;
        throw error;
      });
    return this.#configuration;
  }
}
