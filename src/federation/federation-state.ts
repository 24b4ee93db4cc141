import { SecretBox } from '../crypto/secret-box.ts';
import { FederationError } from './federation-error.ts';

/** What we must remember across the trip upstream; sealed, so neither the upstream nor the browser can read or change it. */
export interface FederationState {
  uid: string;
  /** The app of the interaction (its client_id), carried into the resume URL. */
  appClientId?: unknown;
  connectionId: string;
  /** "Remember me": whether the session outlives the browser once the upstream answers. */
  remember?: boolean;
  /** Set when the sign-in links an identity from the account page, or tests a connection (nobody signs in), rather than signing in an interaction. */
  returnTo?: 'account' | 'test';
  /** OIDC: the nonce the ID token must carry and the PKCE verifier of the code. */
  nonce?: string;
  codeVerifier?: string;
  /** SAML: the AuthnRequest ID the response must answer. */
  requestId?: string;
}

export const federationStateTtlSeconds = 600;

/** Seals the state as compact JWE (via SecretBox, under a key of its own) with a ten-minute expiry. */
export class FederationStateBox {
  readonly #box: SecretBox;

  /** Under a key of its own derived from the key-encryption secret; states sealed under a previous secret still open. */
  constructor(keyEncryptionSecret: string, previousSecrets: readonly string[] = []) {
    this.#box = new SecretBox(
      `federation-state:${keyEncryptionSecret}`,
      previousSecrets.map((secret) => `federation-state:${secret}`),
    );
  }

  /** A sealed state again under the current secret (undefined when it is already), its expiry unchanged. */
  reseal(sealed: string): Promise<string | undefined> {
    return this.#box.reseal(sealed);
  }

  seal(state: FederationState): Promise<string> {
    return this.#box.seal(JSON.stringify({ ...state, exp: Math.floor(Date.now() / 1000) + federationStateTtlSeconds }));
  }

  /** Opens a sealed state for `connectionId`; anything forged, expired or meant for another connection is refused. */
  async open(sealed: string | undefined, connectionId: string): Promise<FederationState> {
    if (!sealed) throw new FederationError('federation.state_invalid');
    let payload: FederationState & { exp: number };
    try {
      payload = JSON.parse(await this.#box.open(sealed)) as FederationState & { exp: number };
    } catch (error) {
      throw new FederationError('federation.state_invalid', { cause: error });
    }
    if (payload.exp < Date.now() / 1000) throw new FederationError('federation.state_expired');
    if (payload.connectionId !== connectionId) throw new FederationError('federation.state_invalid');
    const { exp: _exp, ...state } = payload;
    return state;
  }
}
