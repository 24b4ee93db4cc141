import { readFileSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { emailSchema } from '../accounts/email.ts';
import { findPasswordProblem } from '../accounts/password-policy.ts';
import { cliActor } from '../admin/admin-principal.ts';
import { organizationRoles } from '../admin/roles.ts';
import { everySealedColumn, reencryptSealedColumns } from '../crypto/secret-reencryption.ts';
import { configurationSnapshotSchema, exportConfiguration, importConfiguration } from '../db/configuration-snapshot.ts';
import { migrateToLatest } from '../db/migrator.ts';
import { isDataError } from '../db/transaction.ts';
import { connectionTestTicketSeconds } from '../federation/connection-test-tickets.ts';
import { connectionTestUrl } from '../federation/connection-test-urls.ts';
import { attributePresetNames } from '../federation/saml/saml-attributes.ts';
import { ConflictError } from '../http/errors.ts';
import { adminApiResource, adminApiScope } from '../oidc/admin-api-resource.ts';
import {
  ClientHasNoSecretError,
  ClientNotFoundError,
  deleteClient,
  platformScope,
  RegistrationInvalidError,
  registerClient,
  registerResourceServer,
  rotateClientSecret,
} from '../oidc/client-registration.ts';
import { issueInitialAccessToken } from '../oidc/dynamic-registration.ts';
import { keyRotationPolicy, listSigningKeys, rotateSigningKeys } from '../oidc/signing-keys.ts';
import { domainSchema } from '../orgs/domain-name.ts';
import { defaultScimTokenDays } from '../scim/scim-tokens.service.ts';
import type { Services } from '../services.ts';
import { supportedLocales, translator } from '../ui/i18n.ts';

export class CliUsageError extends Error {}

export type CliOptions = Record<string, string | boolean | string[] | undefined>;
type Command = (services: Services, options: CliOptions, args: string[]) => Promise<unknown>;

export const usage = `Usage: npm run cli -- <command> [options]

  migrate                                   apply pending database migrations
  keys rotate                               publish a new signing key generation; it signs after 2 key refreshes
  keys list                                 published signing keys
  secrets reencrypt [--json]                rewrite every encrypted value under KEY_ENCRYPTION_SECRET (after a rotation)
  export --file F [--json]                  write clients, resource servers, organizations, domains and connections to F (JSON)
  import --file F [--json]                  import such an export (idempotent, one transaction; secrets stay sealed)
  clients create --name N --redirect-uri U [--redirect-uri U2] [--post-logout-redirect-uri U]
                 [--public] [--grant-types authorization_code,refresh_token,client_credentials]
                 [--first-party] [--id-token-alg RS256|ES256|EdDSA] [--logo-uri URL] [--client-uri URL]
                 [--initiate-login-uri HTTPS_URL] [--resource API_URL ...] [--pkce-optional]
                 [--backchannel-logout-uri URL [--backchannel-logout-session-required]] [--json]
                 (--pkce-optional: a legacy confidential app may omit PKCE; S256 is required otherwise)
  clients list [--json]
  clients delete CLIENT_ID
  clients rotate-secret --client CLIENT_ID [--grace-days N] [--json]
                                            a new secret; the previous one still works N days (CLIENT_SECRET_GRACE_DAYS, 7)
  clients initial-access-token [--expires-in SECONDS] [--json]
                                            a token that lets one app register itself (RFC 7591) until it expires (default 1 day)
  users create --email E --password P [--name N] [--verified] [--json]
  users invite --email E [--name N] [--locale en|fr] [--json]
                                            mail a link to choose a password (sent by the running server)
  resource-servers create --identifier URL --name N [--scope S ...] [--alg RS256|ES256|EdDSA] [--json]
  resource-servers list [--json]
  orgs create --name N --domain D [--domain D2] [--verified] [--json]
                 (--verified: an operator vouches for the domains; otherwise prove them with verify-domain)
  orgs add-domain --org ORG --domain D [--json]
  orgs verify-domain --org ORG --domain D [--force] [--json]
                 (checks the TXT record _signin-verification.D; --force: an operator vouches for it)
  orgs update --org ORG [--require-mfa [--phishing-resistant] [--grace-days N]] [--json]
                 (members need a second factor, or passkeys only; without --require-mfa: no requirement)
  domains claim --org ORG --domain D [--json]       (public suffixes and free-mail domains are refused)
  domains verify --org ORG --domain D [--force] [--json]
  domains list --org ORG [--json]                  (verified domains are re-checked daily)
  connections add --org ORG (--metadata-url HTTPS_URL | --metadata-file F | --issuer U --client-id C --client-secret S)
                 [--preset adfs|entra|okta|google] [--name N] [--json]
                 (a draft: test it, then enable it)
  connections test --connection ID [--json]        prints the test sign-in URL to open (valid one hour)
  connections enable --connection ID [--json]      refused before a successful test sign-in
  connections show --connection ID [--json]        setup state, last test's claims, certificate expiry
  connections create-saml --org ORG (--metadata-url U | --metadata-file F) [--name N] [--enabled [--enforce-sso]]
                 [--preset adfs|entra|okta|google] [--login-hint subject|query|none] [--unsigned-requests] [--json]
  connections create-oidc --org ORG --issuer U --client-id C --client-secret S [--scope S ...]
                 [--name N] [--enabled [--enforce-sso]] [--json]
                 (--enabled: an operator vouches for the connection, no test sign-in; otherwise a draft)
  orgs enforce-sso --org ORG --break-glass EMAIL [--json]
                 (needs an enabled connection; EMAIL: an owner with a second factor, who keeps the password)
  orgs relax-sso --org ORG [--json]
  connections trust-upstream --connection ID [--amr V ...] [--acr V ...]
                 (the upstream's amr/acr values that count as a second factor; none: ours is asked)
  operators add --email E [--json]         make an account a platform operator
  orgs add-admin --org ORG --email E [--role owner|admin] [--json]
                                            make an account an owner or admin (default) of an organization
  api-clients create (--org ORG [--role owner|admin] | --platform) --name N [--json]
                                            a machine client of the admin API (client_credentials); prints its secret once
  orgs scim-token --org ORG [--expires-days N] [--json]
                                            a SCIM bearer token for the organization's IdP (default 365 days); printed once
  orgs revoke-scim-token --org ORG --token-id ID
  orgs allow-apps --org ORG [--off] [--json]
                                            let the organization's admins manage its apps (admin center, admin API); --off: stop them
  (ORG is an organization id, or its name when unique)`;

function parse<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    throw new CliUsageError(parsed.error.issues.map((issue) => `--${issue.path.join('.')}: ${issue.message}`).join('; '));
  }
  return parsed.data;
}

const absoluteUrl = z.url();

/** The CLI's spelling of each registration field, to name the option a refused field came from. */
const clientOptionNames: Record<string, string> = {
  name: 'name',
  redirectUris: 'redirect-uri',
  postLogoutRedirectUris: 'post-logout-redirect-uri',
  grantTypes: 'grant-types',
  isPublic: 'public',
  firstParty: 'first-party',
  idTokenSigningAlg: 'id-token-alg',
  logoUri: 'logo-uri',
  clientUri: 'client-uri',
  initiateLoginUri: 'initiate-login-uri',
  allowedResources: 'resource',
  pkceOptional: 'pkce-optional',
  backchannelLogoutUri: 'backchannel-logout-uri',
  backchannelLogoutSessionRequired: 'backchannel-logout-session-required',
};
const resourceServerOptionNames: Record<string, string> = { identifier: 'identifier', name: 'name', scopes: 'scope', signingAlg: 'alg' };

/** Runs a registration service; its refusals become one usage line naming the CLI's options. */
async function registering<T>(optionNames: Record<string, string>, register: () => Promise<T>): Promise<T> {
  try {
    return await register();
  } catch (error) {
    if (!(error instanceof RegistrationInvalidError)) throw error;
    const described = error.issues.map(
      ({ path: [field, ...rest], message }) => `--${[optionNames[String(field)] ?? String(field), ...rest].join('.')}: ${message}`,
    );
    throw new CliUsageError(described.join('; '));
  }
}

/** Runs an app-management service; an unknown app, or a public one asked for its secret, becomes one usage line. */
async function managingClient<T>(clientId: string, manage: () => Promise<T>): Promise<T> {
  try {
    return await manage();
  } catch (error) {
    if (error instanceof ClientNotFoundError) throw new CliUsageError(`No client ${clientId}`);
    if (error instanceof ClientHasNoSecretError) throw new CliUsageError(`${clientId} is a public client: it has no secret`);
    throw error;
  }
}

const textOption = z.string().optional();
const listOption = z.array(z.string()).optional();
const flagOption = z.boolean().optional();

/** An initial access token lets anyone holding it register apps: 30 days at most. */
const maxInitialAccessTokenSeconds = 30 * 86_400;

const organizationOption = z.string().trim().min(1);
const connectionOption = z.string().trim().min(1);
const oneDomain = z
  .array(domainSchema)
  .length(1, 'give exactly one --domain')
  .transform((domains) => domains[0]!);

export const commands: Record<string, Command> = {
  async 'operators add'({ admin }, options) {
    const o = parse(z.object({ email: emailSchema }), options);
    return admin.platformOperators.add(cliActor, o.email);
  },

  async 'orgs add-admin'({ admin, orgs: { organizationService } }, options) {
    const o = parse(z.object({ org: organizationOption, email: emailSchema, role: z.enum(organizationRoles).default('admin') }), options);
    const organization = await organizationService.find(o.org);
    const granted = await admin.organizationAdmins.grant(cliActor, organization.id, { email: o.email, role: o.role });
    return { organization_id: organization.id, account_id: granted.accountId, email: granted.email, role: granted.role };
  },

  async 'api-clients create'({ admin, orgs: { organizationService } }, options) {
    const o = parse(
      z
        .object({ org: organizationOption.optional(), platform: z.boolean(), name: z.string().trim().min(1), role: z.enum(organizationRoles).default('admin') })
        .refine((v) => (v.org === undefined) === v.platform, { path: ['org'], message: 'give either --org or --platform' }),
      options,
    );
    const organizationId = o.org ? (await organizationService.find(o.org)).id : null;
    const created = await admin.adminApiClients.create(cliActor, { name: o.name, organizationId, role: organizationId ? o.role : 'operator' });
    return {
      client_id: created.clientId,
      client_secret: created.clientSecret,
      organization_id: created.organizationId,
      role: created.role,
      token_endpoint: created.tokenEndpoint,
      resource: created.resource,
      scope: adminApiScope,
    };
  },

  async 'orgs scim-token'({ scim, orgs: { organizationService } }, options) {
    const o = parse(z.object({ org: organizationOption, expiresDays: z.coerce.number().int().min(1).max(1095).default(defaultScimTokenDays) }), {
      org: options.org,
      expiresDays: options['expires-days'],
    });
    const organization = await organizationService.find(o.org);
    const issued = await scim.tokens.issue(cliActor, organization.id, { expiresInDays: o.expiresDays });
    return { id: issued.id, organization_id: organization.id, base_url: issued.baseUrl, token: issued.token, expires_at: issued.expiresAt };
  },

  async 'orgs allow-apps'({ admin, orgs: { organizationService } }, options) {
    const o = parse(z.object({ org: organizationOption, off: z.boolean().default(false) }), { org: options.org, off: options.off });
    const organization = await organizationService.find(o.org);
    const allowed = await admin.adminApps.setAppsAllowed(cliActor, organization.id, !o.off);
    return { organization_id: allowed.organizationId, apps_allowed: allowed.appsAllowed };
  },

  async 'orgs revoke-scim-token'({ scim, orgs: { organizationService } }, options) {
    const o = parse(z.object({ org: organizationOption, tokenId: z.string().trim().min(1) }), { org: options.org, tokenId: options['token-id'] });
    const organization = await organizationService.find(o.org);
    await scim.tokens.revoke(cliActor, organization.id, o.tokenId);
    return { revoked: o.tokenId };
  },

  async migrate({ db }) {
    const { results = [] } = await migrateToLatest(db);
    return results.length ? { applied: results.map((migration) => migration.migrationName) } : 'migrations are up to date';
  },

  async 'keys rotate'({ db, secretBox, config }) {
    const policy = keyRotationPolicy(config);
    const next = await rotateSigningKeys(db, secretBox, policy);
    return { next, signsFrom: new Date(Date.now() + policy.activationDelaySeconds * 1000) };
  },

  async 'keys list'({ db }) {
    return listSigningKeys(db);
  },

  async 'secrets reencrypt'({ db, secretBox, federation: { states } }) {
    const counts = await db.transaction().execute((trx) => reencryptSealedColumns(trx, everySealedColumn({ secretBox, federationStates: states })));
    return { reencrypted: counts };
  },

  async export({ db, config }, options) {
    const { file } = parse(z.object({ file: z.string().min(1) }), options);
    const snapshot = await exportConfiguration(db, { builtInResourceServers: [adminApiResource(config.issuer)] });
    // Only the operator may read it: it names every app and connection (their secrets stay sealed).
    writeFileSync(file, `${JSON.stringify(snapshot, null, 2)}\n`, { mode: 0o600 });
    return { file, exported: Object.fromEntries(Object.entries(snapshot.tables).map(([table, rows]) => [table, rows.length])) };
  },

  async import({ db }, options) {
    const { file } = parse(z.object({ file: z.string().min(1) }), options);
    let content: unknown;
    try {
      content = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new CliUsageError(`--file: cannot read ${file} as JSON (${error instanceof Error ? error.message : String(error)})`);
    }
    const snapshot = configurationSnapshotSchema.safeParse(content);
    if (!snapshot.success)
      throw new CliUsageError(`--file: not an export of this service (${snapshot.error.issues[0]?.path.join('.')}: ${snapshot.error.issues[0]?.message})`);
    try {
      return { imported: await importConfiguration(db, snapshot.data) };
    } catch (error) {
      // A row PostgreSQL refuses (a missing column, a broken reference): nothing was imported.
      if (isDataError(error)) throw new CliUsageError(`--file: refused, nothing imported (${error.message})`);
      throw error;
    }
  },

  async 'clients create'({ db, oidc: { clients } }, options) {
    const o = parse(
      z.object({
        name: textOption,
        'redirect-uri': listOption,
        'post-logout-redirect-uri': listOption,
        public: flagOption,
        'first-party': flagOption,
        'grant-types': textOption,
        'id-token-alg': textOption,
        'logo-uri': textOption,
        'client-uri': textOption,
        'initiate-login-uri': textOption,
        resource: listOption,
        'pkce-optional': flagOption,
        'backchannel-logout-uri': textOption,
        'backchannel-logout-session-required': flagOption,
      }),
      options,
    );
    const created = await registering(clientOptionNames, () =>
      registerClient(db, clients, {
        name: o.name ?? '',
        redirectUris: o['redirect-uri'],
        postLogoutRedirectUris: o['post-logout-redirect-uri'],
        grantTypes: o['grant-types']?.split(',').map((type) => type.trim()),
        isPublic: o.public,
        firstParty: o['first-party'],
        idTokenSigningAlg: o['id-token-alg'],
        logoUri: o['logo-uri'],
        clientUri: o['client-uri'],
        initiateLoginUri: o['initiate-login-uri'],
        allowedResources: o.resource,
        pkceOptional: o['pkce-optional'],
        backchannelLogoutUri: o['backchannel-logout-uri'],
        backchannelLogoutSessionRequired: o['backchannel-logout-session-required'],
      }),
    );
    return { client_id: created.clientId, ...(created.clientSecret ? { client_secret: created.clientSecret } : {}) };
  },

  async 'clients list'({ oidc: { clients } }) {
    return clients.list();
  },

  async 'clients delete'({ db, oidc: { clients } }, _options, [clientId]) {
    if (!clientId) throw new CliUsageError('clients delete needs a CLIENT_ID');
    await managingClient(clientId, () => db.transaction().execute((trx) => deleteClient(trx, clients, platformScope, clientId)));
    return { deleted: clientId };
  },

  async 'clients rotate-secret'({ db, oidc: { clients }, config }, options) {
    const o = parse(
      z.object({ client: z.string().trim().min(1), 'grace-days': z.coerce.number().int().min(0).max(365).default(config.clientSecretGraceDays) }),
      options,
    );
    const rotated = await managingClient(o.client, () =>
      db.transaction().execute((trx) => rotateClientSecret(trx, clients, platformScope, o.client, { graceSeconds: o['grace-days'] * 86_400 })),
    );
    return {
      client_id: rotated.clientId,
      client_secret: rotated.clientSecret,
      previous_secret_expires_at: rotated.previousSecretExpiresAt?.toISOString() ?? null,
    };
  },

  async 'clients initial-access-token'({ db }, options) {
    const o = parse(z.object({ 'expires-in': z.coerce.number().int().min(60).max(maxInitialAccessTokenSeconds).default(86_400) }), options);
    const issued = await issueInitialAccessToken(db, o['expires-in']);
    return { initial_access_token: issued.token, expires_at: issued.expiresAt.toISOString() };
  },

  async 'users create'({ accounts: { service: accountService } }, options) {
    const o = parse(
      z
        .object({ email: emailSchema, password: z.string().optional(), name: z.string().trim().optional(), verified: z.boolean() })
        // The sign-up page's policy (length, common and breached passwords, the email or name itself), in English.
        .superRefine(({ email, password, name }, ctx) => {
          const problem = password === undefined ? undefined : findPasswordProblem(password, { email, name: name ?? null });
          if (problem) ctx.addIssue({ code: 'custom', path: ['password'], message: translator('en')(`error.${problem}`) });
        }),
      options,
    );
    try {
      const account = await accountService.createAccount({
        email: o.email,
        ...(o.password ? { password: o.password } : {}),
        ...(o.name ? { name: o.name } : {}),
        emailVerified: o.verified,
      });
      return { id: account.id, email: account.email };
    } catch (error) {
      if (error instanceof ConflictError) throw new CliUsageError(`An account already exists for ${o.email}`);
      throw error;
    }
  },

  async 'users invite'({ selfService: { invitations } }, options) {
    const o = parse(z.object({ email: emailSchema, name: z.string().trim().min(1).optional(), locale: z.enum(supportedLocales).default('en') }), options);
    try {
      const invitation = await invitations.invite({ email: o.email, name: o.name, locale: o.locale });
      return { id: invitation.accountId, email: invitation.email, invited: true, link_expires_at: invitation.expiresAt.toISOString() };
    } catch (error) {
      if (error instanceof ConflictError) throw new CliUsageError(`${o.email} already has an account with a password`);
      throw error;
    }
  },

  async 'resource-servers create'({ oidc: { resourceServers }, config }, options) {
    const o = parse(z.object({ identifier: textOption, name: textOption, scope: listOption, alg: textOption }), options);
    const server = await registering(resourceServerOptionNames, () =>
      registerResourceServer(
        resourceServers,
        { accessTokenTtlSeconds: config.ttl.accessTokenSeconds },
        { identifier: o.identifier ?? '', name: o.name ?? '', scopes: o.scope, signingAlg: o.alg },
      ),
    );
    return { identifier: server.identifier, scopes: server.scopes, alg: server.signingAlg };
  },

  async 'resource-servers list'({ oidc: { resourceServers } }) {
    return resourceServers.list();
  },

  async 'orgs create'({ orgs: { organizationService } }, options) {
    const o = parse(z.object({ name: z.string().trim().min(1), domain: z.array(domainSchema).default([]), verified: z.boolean() }), options);
    return organizationService.create({ name: o.name, domains: o.domain, verifiedByOperator: o.verified });
  },

  async 'orgs add-domain'({ orgs: { organizationService } }, options) {
    const o = parse(z.object({ org: organizationOption, domain: oneDomain }), options);
    const organization = await organizationService.find(o.org);
    return organizationService.addDomain(organization.id, o.domain);
  },

  async 'orgs verify-domain'({ orgs: { organizationService } }, options) {
    const o = parse(z.object({ org: organizationOption, domain: oneDomain, force: z.boolean() }), options);
    const organization = await organizationService.find(o.org);
    return organizationService.verifyDomain(organization.id, o.domain, { force: o.force });
  },

  async 'orgs update'({ db, orgs: { organizationService }, factors }, options) {
    const o = parse(
      z
        .object({
          org: organizationOption,
          requireMfa: z.boolean(),
          phishingResistant: z.boolean(),
          graceDays: z.coerce.number().int().min(0).max(365).default(0),
        })
        .refine((value) => value.requireMfa || (!value.phishingResistant && value.graceDays === 0), {
          message: '--phishing-resistant and --grace-days go with --require-mfa',
          path: ['require-mfa'],
        }),
      { org: options.org, requireMfa: options['require-mfa'], phishingResistant: options['phishing-resistant'], graceDays: options['grace-days'] },
    );
    const organization = await organizationService.find(o.org);
    await db.transaction().execute((trx) => factors.policies.set(trx, organization.id, o, factors.clock.now()));
    return { organization: organization.id, mfaPolicy: (await factors.policies.findOfOrganization(organization.id)) ?? null };
  },

  async 'connections trust-upstream'({ db, federation: { connections }, factors }, options) {
    const values = z.array(z.string().trim().min(1).max(200)).default([]);
    const o = parse(z.object({ connection: z.string().trim().min(1), amr: values, acr: values }), options);
    if (!(await connections.findById(o.connection))) throw new CliUsageError(`--connection: no connection ${o.connection}`);
    await db.transaction().execute((trx) => factors.policies.setUpstreamTrust(trx, o.connection, { amr: o.amr, acr: o.acr }));
    return { connection: o.connection, trustedAmr: o.amr, trustedAcr: o.acr };
  },

  async 'connections create-saml'({ orgs: { organizationService }, federation: { connectionSetup } }, options) {
    const o = parse(
      z
        .object({
          org: organizationOption,
          name: z.string().trim().min(1).optional(),
          'metadata-url': absoluteUrl.optional(),
          'metadata-file': z.string().min(1).optional(),
          'enforce-sso': z.boolean(),
          'login-hint': z.enum(['subject', 'query', 'none']).optional(),
          'unsigned-requests': z.boolean(),
          enabled: z.boolean(),
          preset: z.enum(attributePresetNames).optional(),
        })
        .refine((v) => v.enabled || !v['enforce-sso'], { path: ['enforce-sso'], message: 'goes with --enabled (or use orgs enforce-sso after a test sign-in)' })
        .refine((v) => (v['metadata-url'] === undefined) !== (v['metadata-file'] === undefined), {
          path: ['metadata-url'],
          message: 'give either --metadata-url or --metadata-file',
        }),
      options,
    );
    const organization = await organizationService.find(o.org);
    const created = await connectionSetup.createSaml({
      organizationId: organization.id,
      name: o.name ?? `${organization.name} SAML`,
      metadata: o['metadata-url'] ? { url: o['metadata-url'] } : { xml: readFileSync(o['metadata-file']!, 'utf8') },
      enforceSso: o['enforce-sso'],
      enabledByOperator: o.enabled,
      signAuthnRequests: !o['unsigned-requests'],
      ...(o['login-hint'] ? { loginHint: o['login-hint'] } : {}),
      ...(o.preset ? { attributes: { preset: o.preset } } : {}),
    });
    return {
      id: created.id,
      draft: created.draft,
      idp_entity_id: created.idpEntityId,
      attribute_preset: created.attributePreset,
      sp_entity_id: created.entityId,
      acs_url: created.acsUrl,
      metadata_url: created.metadataUrl,
    };
  },

  async 'connections create-oidc'({ orgs: { organizationService }, federation: { connectionSetup } }, options) {
    const o = parse(
      z
        .object({
          org: organizationOption,
          name: z.string().trim().min(1).optional(),
          issuer: absoluteUrl,
          'client-id': z.string().min(1),
          'client-secret': z.string().min(1),
          scope: z.array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/)).optional(),
          'enforce-sso': z.boolean(),
          enabled: z.boolean(),
        })
        .refine((v) => v.enabled || !v['enforce-sso'], {
          path: ['enforce-sso'],
          message: 'goes with --enabled (or use orgs enforce-sso after a test sign-in)',
        }),
      options,
    );
    const organization = await organizationService.find(o.org);
    const created = await connectionSetup.createOidc({
      organizationId: organization.id,
      name: o.name ?? `${organization.name} OIDC`,
      issuer: o.issuer,
      clientId: o['client-id'],
      clientSecret: o['client-secret'],
      enforceSso: o['enforce-sso'],
      enabledByOperator: o.enabled,
      ...(o.scope?.length ? { scopes: o.scope.includes('openid') ? o.scope : ['openid', ...o.scope] } : {}),
    });
    return { id: created.id, draft: created.draft, redirect_uri: created.redirectUri };
  },

  // Guided SSO setup: domains, draft connections, their test sign-in, enabling, enforcing.
  async 'domains claim'(services, options) {
    return commands['orgs add-domain']!(services, options, []);
  },

  async 'domains verify'(services, options) {
    return commands['orgs verify-domain']!(services, options, []);
  },

  async 'domains list'({ orgs: { organizationService } }, options) {
    const o = parse(z.object({ org: organizationOption }), options);
    return (await organizationService.summary(await organizationService.find(o.org))).domains;
  },

  /** A draft connection: SAML from metadata, or OIDC from its issuer's discovery document. */
  async 'connections add'(services, options) {
    return commands[options.issuer === undefined ? 'connections create-saml' : 'connections create-oidc']!(services, options, []);
  },

  async 'connections test'({ config, federation: { connectionSetup, testTickets } }, options) {
    const o = parse(z.object({ connection: connectionOption }), options);
    const setup = await connectionSetup.setupOf(o.connection);
    const ticket = await testTickets.issue(setup.id);
    return {
      connection: setup.id,
      open: `${config.issuer}${connectionTestUrl(setup.id)}?ticket=${encodeURIComponent(ticket)}`,
      expires_in_seconds: connectionTestTicketSeconds,
      last_tested_at: setup.testedAt,
    };
  },

  async 'connections enable'({ federation: { connectionSetup } }, options) {
    const o = parse(z.object({ connection: connectionOption }), options);
    const enabled = await connectionSetup.enable(o.connection);
    return { connection: enabled.id, enabled: true, tested_at: enabled.testedAt };
  },

  async 'connections show'({ federation: { connectionSetup } }, options) {
    const o = parse(z.object({ connection: connectionOption }), options);
    const setup = await connectionSetup.setupOf(o.connection);
    return { ...setup, certificates: await connectionSetup.certificateExpiries(setup.id) };
  },

  async 'orgs enforce-sso'({ orgs: { organizationService }, sso }, options) {
    const o = parse(z.object({ org: organizationOption, 'break-glass': emailSchema.optional() }), options);
    const organization = await organizationService.find(o.org);
    const { breakGlassAccountId } = await sso.enforcement.enforce(organization.id, o['break-glass']);
    return { organization: organization.id, ssoEnforced: true, breakGlass: { accountId: breakGlassAccountId, email: o['break-glass'] } };
  },

  async 'orgs relax-sso'({ orgs: { organizationService }, sso }, options) {
    const o = parse(z.object({ org: organizationOption }), options);
    const organization = await organizationService.find(o.org);
    await sso.enforcement.relax(organization.id);
    return { organization: organization.id, ssoEnforced: false };
  },
};
