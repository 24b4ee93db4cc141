import { mkdtempSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.ts';
import { type RunningServer, startServer } from '../src/server.ts';
import { createTestDatabase } from './helpers/database.ts';
import { testSecrets } from './helpers/test-server.ts';

/** Opens a raw connection, sends `chunks` and returns everything the server wrote until it closed the connection. */
function rawExchange(url: string, chunks: string[]): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let received = '';
    socket.on('connect', () => {
      for (const chunk of chunks) socket.write(chunk);
    });
    socket.on('data', (data) => (received += data.toString()));
    socket.on('error', reject);
    socket.on('close', () => resolve(received));
  });
}

const statusLine = (response: string) => response.split('\r\n')[0];

describe('limits against slow and oversized clients', () => {
  let server: RunningServer;

  beforeAll(async () => {
    // startServer creates its own HTTP server here, as in production, so the timeouts are swept at their own pace.
    const config = loadConfig(
      { NODE_ENV: 'test' },
      {
        ...testSecrets,
        port: 0,
        databaseUrl: await createTestDatabase(),
        dataDir: mkdtempSync(path.join(tmpdir(), 'signin-data-')),
        http: { headersTimeoutSeconds: 0.5, requestTimeoutSeconds: 1, keepAliveTimeoutSeconds: 0.5, maxHeaderBytes: 8192, maxBodyBytes: 4096 },
      },
    );
    server = await startServer(config);
  });
  afterAll(() => server?.close());

  it('answers 408 and closes the connection of a client that never finishes its headers (slowloris)', async () => {
    const response = await rawExchange(server.url, ['GET /healthz HTTP/1.1\r\nHost: localhost\r\n', 'X-Slow: 1\r\n']);
    expect(statusLine(response)).toBe('HTTP/1.1 408 Request Timeout');
    expect(response).toContain('The request took too long to arrive.');
  });

  it('answers 408 to a client that sends its body too slowly', async () => {
    const head = 'POST /interaction/x/password HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\n';
    const response = await rawExchange(server.url, [head, 'password=a']);
    expect(statusLine(response)).toMatch(/^HTTP\/1.1 408 /);
  });

  it('closes an idle keep-alive connection after the keep-alive timeout', async () => {
    const response = await rawExchange(server.url, ['GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive\r\n\r\n']);
    expect(statusLine(response)).toBe('HTTP/1.1 200 OK');
    expect(response).toContain('"status":"ok"');
  });

  it('answers 431 with a translated page, or JSON, to headers over the limit', async () => {
    const page = await fetch(`${server.url}/healthz`, { headers: { 'x-padding': 'a'.repeat(9000), 'accept-language': 'fr' } });
    expect(page.status).toBe(431);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain('Effacez les cookies de ce site');

    const json = await fetch(`${server.url}/token`, { headers: { 'x-padding': 'a'.repeat(9000), accept: 'application/json' } });
    expect([json.status, await json.json()]).toEqual([431, { error: 'http.headers_too_large' }]);
  });

  it('answers 413 to a declared body over the limit, on our pages and on the token endpoint', async () => {
    const form = new URLSearchParams({ password: 'a'.repeat(5000) });
    const page = await fetch(`${server.url}/interaction/x/password`, { method: 'POST', body: form });
    expect(page.status).toBe(413);
    expect(await page.text()).toContain('This request is too large.');

    const token = await fetch(`${server.url}/token`, { method: 'POST', body: form, headers: { accept: 'application/json' } });
    expect(token.status).toBe(413);
    expect(await token.json()).toMatchObject({ error: 'http.payload_too_large' });
  });

  it('answers 413 to a chunked form body over the parser limit', async () => {
    const chunk = 'a'.repeat(16 * 1024);
    const body = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('password='));
        for (let i = 0; i < 5; i++) controller.enqueue(new TextEncoder().encode(chunk));
        controller.close();
      },
    });
    const response = await fetch(`${server.url}/interaction/x/password`, {
      method: 'POST',
      body,
      duplex: 'half',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    } as RequestInit);
    expect(response.status).toBe(413);
  });
});

describe('limit settings', () => {
  it('refuses a header timeout longer than the request timeout, naming the variables', () => {
    const env = { NODE_ENV: 'test', HTTP_HEADERS_TIMEOUT: '60', HTTP_REQUEST_TIMEOUT: '30' };
    expect(() => loadConfig(env, testSecrets)).toThrow(ConfigError);
    expect(() => loadConfig(env, testSecrets)).toThrow('HTTP_HEADERS_TIMEOUT must not be longer than HTTP_REQUEST_TIMEOUT');
  });

  it('refuses a header size limit below 4 KiB', () => {
    expect(() => loadConfig({ NODE_ENV: 'test', HTTP_MAX_HEADER_BYTES: '100' }, testSecrets)).toThrow(
      'HTTP_MAX_HEADER_BYTES must be an integer between 4096 and 1048576',
    );
  });
});
