import { Resolver } from 'node:dns/promises';
import { AppError } from '../http/errors.ts';

const absentCodes = new Set(['ENOTFOUND', 'ENODATA', 'NXDOMAIN']);

/**
 * Reads TXT records with node's resolver. `servers` (host or host:port) replaces the system's
 * resolvers: tests point it at a DNS server on loopback, operators at a resolver they trust.
 */
export class DnsTxtLookup {
  readonly #resolver: Resolver;

  constructor(servers: readonly string[] = []) {
    this.#resolver = new Resolver({ timeout: 3000, tries: 2 });
    if (servers.length > 0) this.#resolver.setServers([...servers]);
  }

  /** The TXT strings at `name` (chunks of one record joined); none when the name or record does not exist. */
  async txt(name: string): Promise<string[]> {
    try {
      const records = await this.#resolver.resolveTxt(name);
      return records.map((chunks) => chunks.join(''));
    } catch (error) {
      if (absentCodes.has((error as NodeJS.ErrnoException).code ?? '')) return [];
      throw new AppError('orgs.dns_unreachable', 502, { cause: error });
    }
  }
}
