import { randomId } from '../crypto/random-id.ts';
import type { Db } from '../db/database.ts';
import { NotFoundError } from '../http/errors.ts';
import type { ConnectionRegistry } from './connection-registry.ts';
import type { FederationCallbackRepository } from './federation-callback.repository.ts';
import { FederationError } from './federation-error.ts';
import type { FederationState } from './federation-state.ts';
import type { LinkingPolicies, LinkOutcome } from './linking-policy.ts';
import type { SamlMessageRepository } from './saml/saml-message.repository.ts';
import type { BeginInput, BeginResult, CallbackParams, ConnectionRecord, UpstreamAuthentication, UpstreamProfile } from './upstream-connection.ts';

/** A validated upstream answer: who signed in, at which connection, and how the sign-in was started. */
export interface UpstreamAnswer {
  connection: ConnectionRecord;
  profile: UpstreamProfile;
  state: FederationState;
}

/** An upstream's answer kept at our callback URL, and where it goes on: the interaction (or account page) its state names. */
export interface ReceivedCallback {
  uid: string;
  appClientId: unknown;
  callbackId: string;
  returnTo: FederationState['returnTo'];
}

/**
 * A federated sign-in, in three legs: start (from the interaction, to the upstream), callback (at
 * our fixed URL, which has no interaction cookie), finish (back at the interaction's resume URL).
 */
export class FederationService {
  readonly registry: ConnectionRegistry;
  readonly #db: Db;
  readonly #callbacks: FederationCallbackRepository;
  readonly #policies: LinkingPolicies;
  readonly #samlMessages: SamlMessageRepository;

  constructor(deps: {
    db: Db;
    registry: ConnectionRegistry;
    callbacks: FederationCallbackRepository;
    policies: LinkingPolicies;
    samlMessages: SamlMessageRepository;
  }) {
    this.#db = deps.db;
    this.registry = deps.registry;
    this.#callbacks = deps.callbacks;
    this.#policies = deps.policies;
    this.#samlMessages = deps.samlMessages;
  }

  async start(connectionId: string, input: BeginInput): Promise<BeginResult> {
    const connection = await this.registry.load(connectionId);
    return withConnection(connectionId, () => connection.begin(input));
  }

  /** Starts a draft (or enabled) connection's test sign-in: its answer comes back to the test result, and signs nobody in. */
  async startTest(connectionId: string, uid: string): Promise<BeginResult> {
    const connection = await this.registry.load(connectionId, { drafts: true });
    return withConnection(connectionId, () => connection.begin({ uid, returnTo: 'test', loginHint: undefined }));
  }

  /** Keeps what the upstream sent and says where the browser goes next: the interaction (or account page) the state names. */
  async receiveCallback(connectionId: string, params: CallbackParams): Promise<ReceivedCallback> {
    const connection = await this.registry.load(connectionId, { drafts: true });
    const { uid, appClientId, returnTo } = await connection.stateOf(params);
    assertUsable(connection.record, returnTo);
    const callbackId = randomId();
    await this.#callbacks.save(this.#db, callbackId, uid, connectionId, params);
    return { uid, appClientId, callbackId, returnTo };
  }

  /**
   * Validates the stored answer for this interaction and applies the linking policy of the
   * connection's kind. `remember` is the choice made before leaving (undefined: none was offered).
   */
  async finish(
    uid: string,
    callbackId: string,
  ): Promise<{ outcome: LinkOutcome; connectionId: string; remember: boolean | undefined; authentication: UpstreamAuthentication | undefined }> {
    const answer = await this.takeAnswer(uid, callbackId);
    if (answer.state.returnTo) throw new FederationError('federation.state_invalid');
    return withConnection(answer.connection.id, async () => ({
      outcome: await this.#policies[answer.connection.kind].accountFor(answer.profile, answer.connection),
      connectionId: answer.connection.id,
      remember: answer.state.remember,
      authentication: answer.profile.authentication,
    }));
  }

  /** Takes (once) and validates the answer stored for `uid`: signatures, state, nonce, issuer, as the connection checks them. */
  async takeAnswer(uid: string, callbackId: string): Promise<UpstreamAnswer> {
    const callback = await this.#callbacks.take(this.#db, callbackId, uid);
    if (!callback) throw new FederationError('federation.state_expired');
    const connection = await this.registry.load(callback.connectionId, { drafts: true });
    return withConnection(connection.record.id, async () => {
      const state = await connection.stateOf(callback.params);
      assertUsable(connection.record, state.returnTo);
      const profile = await connection.complete(callback.params);
      return { connection: connection.record, profile, state };
    });
  }

  async purgeExpired(): Promise<void> {
    await this.#callbacks.purgeExpired(this.#db);
    await this.#samlMessages.purgeExpired(this.#db);
  }
}

/** A draft connection answers its test sign-in only: an answer meant for anything else is as if it did not exist. */
function assertUsable(record: ConnectionRecord, returnTo: FederationState['returnTo']): void {
  if (!record.enabled && returnTo !== 'test') throw new NotFoundError('federation.connection_not_found');
}

async function withConnection<T>(connectionId: string, attempt: () => Promise<T>): Promise<T> {
  try {
    return await attempt();
  } catch (error) {
    if (error instanceof FederationError) error.connectionId ??= connectionId;
    throw error;
  }
}
