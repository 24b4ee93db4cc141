import { NotFoundError } from '../http/errors.ts';
import type { ConnectionRepository } from './connection.repository.ts';
import type { ConnectionFactory, UpstreamConnection } from './upstream-connection.ts';

/** From a connection's type to the code that speaks its protocol. A new kind of upstream is one more entry. */
export class ConnectionRegistry {
  readonly #connections: ConnectionRepository;
  readonly #factories: Readonly<Record<string, ConnectionFactory>>;

  constructor(connections: ConnectionRepository, factories: Record<string, ConnectionFactory>) {
    this.#connections = connections;
    this.#factories = factories;
  }

  /** The enabled connection with this id, ready to use; unknown and disabled ones are not found. */
  async load(connectionId: string): Promise<UpstreamConnection> {
    const record = await this.#connections.findById(connectionId);
    const factory = record && this.#factories[record.type];
    if (!record?.enabled || !factory) throw new NotFoundError('federation.connection_not_found');
    return factory(record);
  }
}
