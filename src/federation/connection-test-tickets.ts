import { SecretBox } from '../crypto/secret-box.ts';
import { NotFoundError } from '../http/errors.ts';

/** A test sign-in link stays usable this long after an admin asked for it. */
export const connectionTestTicketSeconds = 3600;

/**
 * The sealed ticket in a test sign-in link, handed only to the connection's admins (CLI now, admin
 * center later): without one nobody can run a draft connection's test or overwrite what it recorded.
 */
export class ConnectionTestTickets {
  readonly #box: SecretBox;

  constructor(keyEncryptionSecret: string, previousSecrets: readonly string[] = []) {
    this.#box = new SecretBox(
      `connection-test:${keyEncryptionSecret}`,
      previousSecrets.map((secret) => `connection-test:${secret}`),
    );
  }

  issue(connectionId: string): Promise<string> {
    return this.#box.seal(JSON.stringify({ connectionId, exp: Math.floor(Date.now() / 1000) + connectionTestTicketSeconds }));
  }

  /** Refuses (as not found) a ticket that is forged, expired or for another connection. */
  async check(ticket: string | undefined, connectionId: string): Promise<void> {
    let payload: { connectionId?: unknown; exp?: unknown } = {};
    try {
      payload = ticket ? JSON.parse(await this.#box.open(ticket)) : {};
    } catch {
      payload = {};
    }
    if (payload.connectionId !== connectionId || typeof payload.exp !== 'number' || payload.exp < Date.now() / 1000) {
      throw new NotFoundError('federation.connection_not_found');
    }
  }
}
