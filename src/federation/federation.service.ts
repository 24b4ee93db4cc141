import type { AccountRow } from '../db/schema.ts';
import type { AccountLinking } from './account-linking.ts';
import type { ConnectionRegistry } from './connection-registry.ts';
import { FederationError } from './federation-error.ts';
import type { FederationCallbackRepository } from './federation-callback.repository.ts';
import { randomId } from './federation-state.ts';
import type { SamlMessageRepository } from './saml/saml-message.repository.ts';
import type { BeginResult, CallbackParams } from './upstream-connection.ts';

/**
 * A federated sign-in, in three legs: start (from the interaction, to the upstream), callback (at
 * our fixed URL, which has no interaction cookie), finish (back at the interaction's resume URL).
 */
export class FederationService {
  readonly registry: ConnectionRegistry;
  readonly #callbacks: FederationCallbackRepository;
  readonly #linking: AccountLinking;
  readonly #samlMessages: SamlMessageRepository;

  constructor(deps: { registry: ConnectionRegistry; callbacks: FederationCallbackRepository; linking: AccountLinking; samlMessages: SamlMessageRepository }) {
    this.registry = deps.registry;
    this.#callbacks = deps.callbacks;
    this.#linking = deps.linking;
    this.#samlMessages = deps.samlMessages;
  }

  async start(uid: string, connectionId: string, loginHint: string | undefined): Promise<BeginResult> {
    const connection = await this.registry.load(connectionId);
    return withConnection(connectionId, () => connection.begin({ uid, loginHint }));
  }

  /** Keeps what the upstream sent and says where the browser goes next: the interaction the state names. */
  async receiveCallback(connectionId: string, params: CallbackParams): Promise<{ uid: string; callbackId: string }> {
    const connection = await this.registry.load(connectionId);
    const uid = await connection.interactionOf(params);
    const callbackId = randomId();
    await this.#callbacks.save(callbackId, uid, connectionId, params);
    return { uid, callbackId };
  }

  /** Validates the stored answer for this interaction and returns the account it signs in. */
  async finish(uid: string, callbackId: string): Promise<{ account: AccountRow; connectionId: string }> {
    const callback = await this.#callbacks.take(callbackId, uid);
    if (!callback) throw new FederationError('federation.state_expired');
    const connection = await this.registry.load(callback.connectionId);
    return withConnection(connection.record.id, async () => {
      const profile = await connection.complete(callback.params);
      const account = await this.#linking.accountFor(profile, connection.record);
      return { account, connectionId: connection.record.id };
    });
  }

  async purgeExpired(): Promise<void> {
    await this.#callbacks.purgeExpired();
    await this.#samlMessages.purgeExpired();
  }
}

async function withConnection<T>(connectionId: string, attempt: () => Promise<T>): Promise<T> {
  try {
    return await attempt();
  } catch (error) {
    if (error instanceof FederationError) error.connectionId ??= connectionId;
    throw error;
  }
}
