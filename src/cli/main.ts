import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config.ts';
import { connectDatabase } from '../db/connection.ts';
import { failureMessage } from '../db/database-unavailable.ts';
import { migrateToLatest } from '../db/migrator.ts';
import { createLogger } from '../log.ts';
import { createServices } from '../services.ts';
import { CliUsageError, commands, usage } from './commands.ts';

/**
 * `npm run cli -- <group> <action> [options]`. Works whether or not the server runs: it connects
 * to DATABASE_URL, or to the embedded PostgreSQL of DATA_DIR (joining it when the server has it up).
 */
async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      json: { type: 'boolean', default: false },
      name: { type: 'string' },
      email: { type: 'string' },
      password: { type: 'string' },
      verified: { type: 'boolean', default: false },
      locale: { type: 'string' },
      'redirect-uri': { type: 'string', multiple: true },
      'post-logout-redirect-uri': { type: 'string', multiple: true },
      public: { type: 'boolean', default: false },
      'first-party': { type: 'boolean', default: false },
      'grant-types': { type: 'string' },
      'id-token-alg': { type: 'string' },
      'logo-uri': { type: 'string' },
      'client-uri': { type: 'string' },
      'initiate-login-uri': { type: 'string' },
      resource: { type: 'string', multiple: true },
      'pkce-optional': { type: 'boolean', default: false },
      'backchannel-logout-uri': { type: 'string' },
      'backchannel-logout-session-required': { type: 'boolean', default: false },
      identifier: { type: 'string' },
      scope: { type: 'string', multiple: true },
      alg: { type: 'string' },
      org: { type: 'string' },
      domain: { type: 'string', multiple: true },
      force: { type: 'boolean', default: false },
      'require-mfa': { type: 'boolean', default: false },
      'phishing-resistant': { type: 'boolean', default: false },
      'grace-days': { type: 'string' },
      connection: { type: 'string' },
      amr: { type: 'string', multiple: true },
      acr: { type: 'string', multiple: true },
      'metadata-url': { type: 'string' },
      'metadata-file': { type: 'string' },
      'enforce-sso': { type: 'boolean', default: false },
      'login-hint': { type: 'string' },
      'unsigned-requests': { type: 'boolean', default: false },
      enabled: { type: 'boolean', default: false },
      preset: { type: 'string' },
      'break-glass': { type: 'string' },
      issuer: { type: 'string' },
      'client-id': { type: 'string' },
      'client-secret': { type: 'string' },
      file: { type: 'string' },
      'expires-in': { type: 'string' },
      client: { type: 'string' },
      role: { type: 'string' },
      platform: { type: 'boolean', default: false },
      'expires-days': { type: 'string' },
      'token-id': { type: 'string' },
      off: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help || positionals.length === 0) {
    console.log(usage);
    return values.help ? 0 : 2;
  }
  const key = positionals.slice(0, 2).join(' ');
  const command = commands[key] ?? commands[positionals[0]!];
  if (!command) throw new CliUsageError(`Unknown command "${key}" (npm run cli -- --help lists them)`);
  const config = loadConfig();
  // Nothing is logged: a lost connection fails the command, reported as its one line on stderr.
  const { db, embedded } = await connectDatabase(config, createLogger('silent'));
  try {
    // Every command works on the current schema; `migrate` reports what it applies itself.
    if (command !== commands.migrate) await migrateToLatest(db);
    const output = await command(createServices(config, db), values, positionals.slice(2));
    console.log(values.json ? JSON.stringify(output, null, 2) : formatHuman(output));
    return 0;
  } finally {
    await db.destroy();
    await embedded?.stop();
  }
}

function formatHuman(output: unknown): string {
  if (typeof output === 'string') return output;
  return JSON.stringify(output, null, 2);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    // Bad input (exit 2) and failures (exit 1) are one line on stderr, without a stack trace.
    const known = error instanceof CliUsageError || error instanceof ConfigError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    const message = known ? (error as Error).message : `Error: ${failureMessage(error)}`;
    console.error(message.replace(/\s*\n\s*/g, ' '));
    process.exit(known ? 2 : 1);
  },
);
