import { NotFoundError } from '../http/errors.ts';
import type { ConnectionRepository } from './connection.repository.ts';
import type { ConnectionFactory, UpstreamConnection } from './upstream-connection.ts';

/**
 * From a connection's id to the code that speaks its protocol. Stored connections (company IdPs)
 * are built by their type's factory; configured ones (social providers) are found by their fixed
 * id first. A new kind of upstream is one more entry.
 */
export class ConnectionRegistry {
  readonly #connections: ConnectionRepository;
  readonly #factories: Readonly<Record<string, ConnectionFactory>>;
  readonly #configured: ReadonlyMap<string, UpstreamConnection>;

  constructor(connections: ConnectionRepository, factories: Record<string, ConnectionFactory>, configured: readonly UpstreamConnection[] = []) {
    this.#connections = connections;
    this.#factories = factories;
    this.#configured = new Map(configured.map((connection) => [connection.record.id, connection]));
  }

  /**
   * The enabled connection with this id, ready to use; unknown and disabled ones are not found.
   * `drafts`: a disabled one too, for its test sign-in (whose answer signs nobody in).
   */
  async load(connectionId: string, options: { drafts?: boolean } = {}): Promise<UpstreamConnection> {
    const configured = this.#configured.get(connectionId);
    if (configured) return configured;
    const record = await this.#connections.findById(connectionId);
    const factory = record && this.#factories[record.type];
    if (!record || !(record.enabled || options.drafts) || !factory) throw new NotFoundError('federation.connection_not_found');
    return factory(record);
  }
}
