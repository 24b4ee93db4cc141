import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../../src/db/embedded-postgres.ts';
import { ForegroundProcess } from './foreground-process.ts';

const modulesDir = '/usr/lib/apache2/modules';
/** Debian's Apache with mod_auth_openidc (`apt-get install apache2 libapache2-mod-auth-openidc`). */
export const apacheBinary = ['/usr/sbin/apache2'].find((candidate) => existsSync(candidate) && existsSync(path.join(modulesDir, 'mod_auth_openidc.so')));

export interface OpenidcSettings {
  issuer: string;
  clientId: string;
  clientSecret: string;
}

/**
 * A real relying party: Apache in the foreground on loopback, /protected/ behind mod_auth_openidc
 * (code flow with PKCE S256, client_secret_basic), its redirect URI doubling as its back-channel
 * logout endpoint (`?logout=backchannel`). Its configuration and logs live in a temp folder.
 * `OIDCUnAuthAction auth true`: the module sends only requests it takes for a browser's to sign in,
 * and its guess does not know a test's fetch.
 */
export class ApacheRelyingParty extends ForegroundProcess {
  private constructor(child: ChildProcess, dir: string, port: number) {
    super(child, dir, `http://127.0.0.1:${port}`);
  }

  /** Chosen before the app is registered: the redirect URI names it. */
  static port(): Promise<number> {
    return freePort();
  }

  static redirectUri(port: number): string {
    return `http://127.0.0.1:${port}/protected/redirect_uri`;
  }

  static async start(port: number, settings: OpenidcSettings): Promise<ApacheRelyingParty> {
    if (!apacheBinary) throw new Error('apache2 with mod_auth_openidc is not installed');
    const dir = mkdtempSync(path.join(tmpdir(), 'signin-apache-'));
    // Apache drops root for its worker: the document root must stay readable.
    chmodSync(dir, 0o755);
    mkdirSync(path.join(dir, 'www', 'protected'), { recursive: true, mode: 0o755 });
    writeFileSync(path.join(dir, 'www', 'protected', 'index.html'), 'protected page\n', { mode: 0o644 });
    writeFileSync(
      path.join(dir, 'httpd.conf'),
      `ServerRoot ${dir}
ServerName 127.0.0.1
Listen 127.0.0.1:${port}
PidFile ${dir}/httpd.pid
ErrorLog ${dir}/error.log
LogLevel warn auth_openidc:info
LoadModule mpm_event_module ${modulesDir}/mod_mpm_event.so
LoadModule authn_core_module ${modulesDir}/mod_authn_core.so
LoadModule authz_core_module ${modulesDir}/mod_authz_core.so
LoadModule authz_user_module ${modulesDir}/mod_authz_user.so
LoadModule auth_openidc_module ${modulesDir}/mod_auth_openidc.so
User nobody
Group nogroup
DocumentRoot ${dir}/www
OIDCProviderMetadataURL ${settings.issuer}/.well-known/openid-configuration
OIDCClientID ${settings.clientId}
OIDCClientSecret ${settings.clientSecret}
OIDCRedirectURI ${ApacheRelyingParty.redirectUri(port)}
OIDCCryptoPassphrase apache-test-passphrase-0123456789
OIDCScope "openid email"
OIDCPKCEMethod S256
OIDCSSLValidateServer Off
OIDCUnAuthAction auth true
<Location /protected/>
  AuthType openid-connect
  Require valid-user
</Location>
`,
    );
    const child = spawn(apacheBinary, ['-X', '-f', path.join(dir, 'httpd.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
    const apache = new ApacheRelyingParty(child, dir, port);
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`apache2 did not start: ${apache.errorLog}`);
      const answered = await fetch(`${apache.url}/`, { redirect: 'manual' }).then(
        () => true,
        () => false,
      );
      if (answered) return apache;
      await sleep(50);
    }
  }

  /** What Apache wrote on stderr (start-up failures) and in its error log (mod_auth_openidc's decisions). */
  get errorLog(): string {
    const file = path.join(this.dir, 'error.log');
    return this.stderr + (existsSync(file) ? readFileSync(file, 'utf8') : '');
  }
}
