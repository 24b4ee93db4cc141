import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An app's back-channel logout endpoint on loopback: records each logout_token POSTed to it.
 * `answer` sets what it replies (a status, or 'hold' to keep the request open until release()).
 * close() and listen() again on the same port stand for an app that is down for a while.
 */
export class LogoutListener {
  readonly tokens: string[] = [];
  answer: number | 'hold' = 200;
  #server: Server | undefined;
  #port = 0;
  #held: ServerResponse[] = [];

  get url(): string {
    return `http://127.0.0.1:${this.#port}/backchannel-logout`;
  }

  get heldRequests(): number {
    return this.#held.length;
  }

  async listen(): Promise<this> {
    const server = createServer((request, response) => this.#handle(request, response));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#port, '127.0.0.1', resolve);
    });
    this.#port = (server.address() as AddressInfo).port;
    this.#server = server;
    return this;
  }

  /** Answers every held request with 200. */
  release(): void {
    for (const response of this.#held.splice(0)) response.writeHead(200).end();
  }

  async close(): Promise<void> {
    this.release();
    const server = this.#server;
    this.#server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  #handle(request: IncomingMessage, response: ServerResponse): void {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const token = request.headers['content-type']?.startsWith('application/x-www-form-urlencoded') ? new URLSearchParams(body).get('logout_token') : null;
      if (request.method !== 'POST' || !token) {
        response.writeHead(400).end();
        return;
      }
      this.tokens.push(token);
      if (this.answer === 'hold') this.#held.push(response);
      else response.writeHead(this.answer).end();
    });
  }
}
