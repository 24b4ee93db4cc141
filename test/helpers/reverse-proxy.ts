import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { generate } from 'selfsigned';
import { freePort } from '../../src/db/embedded-postgres.ts';
import { ForegroundProcess } from './foreground-process.ts';

/** Debian's nginx (`apt-get install nginx`); tests that need it skip, saying why, when it is missing. */
export const nginxBinary = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((candidate) => existsSync(candidate));

/** A self-signed certificate for 127.0.0.1, as a TLS-terminating load balancer would present. */
export async function loopbackCertificate(): Promise<{ cert: string; key: string }> {
  const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
    keySize: 2048,
    algorithm: 'sha256',
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
  });
  return { cert: pems.cert, key: pems.private };
}

/**
 * A real nginx in front of the instances, on loopback, with its own configuration in a temp
 * folder: TLS terminated here, round robin between the upstreams, the usual X-Forwarded-* headers,
 * and a request that cannot reach an instance (refused) passed to the next one.
 */
export class ReverseProxy extends ForegroundProcess {
  private constructor(child: ChildProcess, dir: string, port: number) {
    super(child, dir, `https://127.0.0.1:${port}`);
  }

  /** The port the proxy will listen on, to be chosen before the instances (it is their issuer). */
  static port(): Promise<number> {
    return freePort();
  }

  static async start(port: number, upstreamPorts: number[], tls: { cert: string; key: string }): Promise<ReverseProxy> {
    if (!nginxBinary) throw new Error('nginx is not installed');
    const dir = mkdtempSync(path.join(tmpdir(), 'signin-proxy-'));
    // Workers run as an unprivileged user when nginx starts as root: they must reach their temp folders.
    chmodSync(dir, 0o755);
    for (const temp of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(path.join(dir, temp), { mode: 0o777 });
    writeFileSync(path.join(dir, 'cert.pem'), tls.cert);
    writeFileSync(path.join(dir, 'key.pem'), tls.key, { mode: 0o600 });
    const upstreams = upstreamPorts.map((upstream) => `    server 127.0.0.1:${upstream} max_fails=1 fail_timeout=2s;`).join('\n');
    writeFileSync(
      path.join(dir, 'nginx.conf'),
      `daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log stderr error;
events { worker_connections 512; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream signin {
${upstreams}
  }
  server {
    listen 127.0.0.1:${port} ssl;
    ssl_certificate ${dir}/cert.pem;
    ssl_certificate_key ${dir}/key.pem;
    location / {
      proxy_pass http://signin;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_connect_timeout 1s;
      proxy_next_upstream error timeout;
    }
  }
}
`,
    );
    const child = spawn(nginxBinary, ['-p', dir, '-c', path.join(dir, 'nginx.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
    const proxy = new ReverseProxy(child, dir, port);
    const deadline = Date.now() + 10_000;
    while (!existsSync(path.join(dir, 'nginx.pid'))) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`nginx did not start: ${proxy.errorLog}`);
      await sleep(50);
    }
    return proxy;
  }

  get errorLog(): string {
    return this.stderr;
  }
}
