import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/log.ts';
import type { RunningServer } from '../src/server.ts';
import { CapturedLog } from './helpers/captured-log.ts';
import { createTestDatabase } from './helpers/database.ts';
import { authorizationRequest, registerRelyingParty, type TestClient } from './helpers/relying-party.ts';
import { startTestServer } from './helpers/test-server.ts';
import { type PageResponse, UserAgent } from './helpers/user-agent.ts';

const json = { accept: 'application/json' };

/** What a stack trace or an internal detail looks like in a response body. */
const internals = /\n\s+at |\.ts:\d+|node_modules|relation "|SELECT |Error: /i;

function expectFriendlyPage(page: PageResponse, status: number, message: string): void {
  expect(page.status).toBe(status);
  expect(page.headers.get('content-type')).toMatch(/^text\/html/);
  expect(page.$('[role=alert]').text()).toBe(message);
  const requestId = page.headers.get('x-request-id')!;
  expect(page.$('p.reference').text()).toContain(requestId);
  expect(page.body).not.toMatch(internals);
}

function expectJsonError(response: { status: number; headers: Headers }, body: unknown, status: number, error: string): void {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  expect(body).toEqual({ error, request_id: response.headers.get('x-request-id') });
}

describe('error pages', () => {
  let server: RunningServer;
  let app: TestClient;

  beforeAll(async () => {
    server = await startTestServer();
    app = await registerRelyingParty(server);
  });
  afterAll(() => server?.close());

  it('an unknown page is a friendly 404 page, or a JSON error for a JSON client', async () => {
    expectFriendlyPage(await new UserAgent().request(`${server.url}/no/such/page`), 404, 'This page does not exist.');

    const response = await fetch(`${server.url}/no/such/page`, { headers: json });
    expectJsonError(response, await response.json(), 404, 'http.not_found');
  });

  it('an unknown or expired interaction says so, as a page or as JSON', async () => {
    const page = await new UserAgent().request(`${server.url}/interaction/unknown-uid-0123`);
    expectFriendlyPage(page, 400, 'For your security, a sign-in page stays open only for a while. Start again from the application.');

    const response = await fetch(`${server.url}/interaction/unknown-uid-0123`, { headers: json });
    expectJsonError(response, await response.json(), 400, 'interaction.expired');
  });

  it('a malformed form post is a 400 page, not a 500', async () => {
    const agent = new UserAgent();
    const page = await agent.follow((await authorizationRequest(app.config)).url);
    const form = page.$('form').first();
    // Every field but the CSRF token twice: arrays where the routes expect strings.
    const fields = new URLSearchParams();
    form.find('input[name]').each((_, input) => {
      const name = page.$(input).attr('name')!;
      const value = page.$(input).attr('value') ?? 'x';
      fields.append(name, value);
      if (name !== '_csrf') fields.append(name, value);
    });
    const action = new URL(form.attr('action')!, page.url).toString();
    const duplicated = await fetch(action, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: await agent.jar.getCookieString(action) },
      body: fields.toString(),
    });
    const body = await duplicated.text();
    expect(duplicated.status).toBe(400);
    expect(duplicated.headers.get('content-type')).toMatch(/^text\/html/);
    expect(body).toContain('The request could not be understood.');
    expect(body).toContain(duplicated.headers.get('x-request-id'));
    expect(body).not.toMatch(internals);
  });

  it('an oversized or undecodable body is a 4xx page, or JSON for a JSON client', async () => {
    const oversized = await fetch(`${server.url}/interaction/unknown-uid-0123/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `email=${'a'.repeat(200_000)}`,
    });
    expect(oversized.status).toBe(413);
    const oversizedPage = await oversized.text();
    expect(oversizedPage).toContain('This request is too large.');
    expect(oversizedPage).not.toMatch(internals);

    // Every form route shares one parser: a body it cannot decode is the client's fault (400), never a 500.
    const formRoutes = [
      '/interaction/unknown-uid-0123/login',
      '/federation/unknown/saml/acs',
      '/signup',
      '/forgot-password',
      '/invitation',
      '/account/password',
    ];
    for (const route of formRoutes) {
      for (const encoding of ['gzip', 'deflate']) {
        const undecodable = await fetch(`${server.url}${route}`, {
          method: 'POST',
          headers: { ...json, 'content-type': 'application/x-www-form-urlencoded; charset=utf-8', 'content-encoding': encoding },
          body: 'definitely not compressed',
        });
        expect({ route, encoding, status: undecodable.status }).toEqual({ route, encoding, status: 400 });
        expectJsonError(undecodable, await undecodable.json(), 400, 'http.bad_request');
      }
    }
  });
});

describe('an internal error (the database lost a table)', () => {
  it('renders the friendly page with a request id, or JSON, never the fault', async () => {
    const databaseUrl = await createTestDatabase();
    const log = new CapturedLog();
    const server = await startTestServer({ databaseUrl, logger: createLogger('info', log) });
    try {
      const app = await registerRelyingParty(server);
      const agent = new UserAgent();
      const started = await agent.request((await authorizationRequest(app.config)).url);
      const interactionUrl = new URL(started.headers.get('location')!, server.url).toString();

      const admin = new pg.Client({ connectionString: databaseUrl });
      await admin.connect();
      await admin.query('drop table oidc_models');
      await admin.end();

      const page = await agent.request(interactionUrl);
      expectFriendlyPage(page, 500, 'An unexpected error occurred. Please try again later.');
      // The operator finds the fault by the reference the user reads out.
      const logged = log.lines.find((line) => line.msg === 'unhandled error' && line.requestId === page.headers.get('x-request-id'));
      expect((logged?.err as { message?: string } | undefined)?.message).toContain('oidc_models');

      const response = await fetch(interactionUrl, { headers: { ...json, cookie: await agent.jar.getCookieString(interactionUrl) } });
      expectJsonError(response, await response.json(), 500, 'http.internal_error');

      // oidc-provider's own endpoints fail as gracefully.
      const authorize = await agent.request((await authorizationRequest(app.config)).url);
      expect(authorize.status).toBe(500);
      expect(authorize.body).not.toMatch(internals);
    } finally {
      await server.close();
    }
  });
});
