import { AccountRepository } from './accounts/account.repository.ts';
import { AccountService } from './accounts/account.service.ts';
import { PasswordHasher } from './accounts/password-hasher.ts';
import type { Config } from './config.ts';
import { SecretBox } from './crypto/secret-box.ts';
import type { Db } from './db/database.ts';
import { type HomeRealmDiscovery, passwordOnlyDiscovery } from './hrd/home-realm-discovery.ts';
import { ClientRepository } from './oidc/client.repository.ts';
import { ResourceServerRegistry } from './oidc/resource-servers.ts';
import type { RotationPolicy } from './oidc/signing-keys.ts';

/** Repositories and services shared by the HTTP app and the CLI. */
export function createServices(config: Config, db: Db) {
  const secretBox = new SecretBox(config.keyEncryptionSecret);
  const accounts = new AccountRepository(db);
  const passwordHasher = new PasswordHasher(config.bcryptCost);
  return {
    config,
    db,
    secretBox,
    accounts,
    passwordHasher,
    accountService: new AccountService(accounts, passwordHasher),
    clients: new ClientRepository(db, secretBox),
    resourceServers: new ResourceServerRegistry(db),
    homeRealmDiscovery: passwordOnlyDiscovery as HomeRealmDiscovery,
  };
}

export type Services = ReturnType<typeof createServices>;

/**
 * How `keys rotate` schedules a new generation: published for two key-refresh periods before it
 * signs (every instance has reloaded by then), the previous keys published for the longest lifetime
 * of anything they signed, plus skew, after they stop signing.
 */
export function keyRotationPolicy(config: Config): RotationPolicy {
  const { idTokenSeconds, accessTokenSeconds, clientCredentialsSeconds } = config.ttl;
  return {
    activationDelaySeconds: 2 * config.keyRefreshSeconds,
    retiredKeyGraceSeconds: Math.max(idTokenSeconds, accessTokenSeconds, clientCredentialsSeconds) + 300,
  };
}
