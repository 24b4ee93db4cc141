import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
import { TestDnsServer } from './helpers/dns-server.ts';
import { clickSocialButton, resume, startInteraction } from './helpers/federation-journey.ts';
import { redirectUri, registerRelyingParty, type TestClient } from './helpers/relying-party.ts';
import { closeSocialStandIns, configureSocialStandIns, listenSocialStandIns, type SocialStandIns, socialSettings } from './helpers/social-upstreams.ts';
import { startTestServer } from './helpers/test-server.ts';
import { UserAgent } from './helpers/user-agent.ts';

/** A name only the test's DNS server knows: a request made with the plain fetch would not resolve it. */
const upstreamHost = 'social.wired.test';

describe('social sign-in reaches its providers only through the address-checked fetch', () => {
  let dns: TestDnsServer;
  let standIns: SocialStandIns;
  let server: RunningServer;
  let app: TestClient;

  beforeAll(async () => {
    dns = await new TestDnsServer().start();
    dns.setAddress(upstreamHost, '127.0.0.1');
    standIns = await listenSocialStandIns(upstreamHost);
    server = await startTestServer({ overrides: { social: socialSettings(standIns), dnsServers: [dns.address] } });
    await configureSocialStandIns(standIns, server.url);
    app = await registerRelyingParty(server);
  });
  afterAll(async () => {
    await closeSocialStandIns(standIns);
    await server?.close();
    await dns?.close();
  });

  /** The browser's side: it reaches the providers on the address their name stands for. */
  const viaLoopback = (url: string) => url.replace(`//${upstreamHost}:`, '//127.0.0.1:');

  async function signInWith(provider: string) {
    const agent = new UserAgent();
    const { page } = await startInteraction(agent, app);
    let location = await clickSocialButton(agent, page, provider);
    expect(new URL(location).hostname, location).toBe(upstreamHost);
    while (!location.startsWith(server.url)) {
      const hop = await agent.request(viaLoopback(location));
      expect(hop.headers.get('location'), hop.body.slice(0, 300)).toBeTruthy();
      location = new URL(hop.headers.get('location')!, viaLoopback(location)).toString();
    }
    return resume(agent, await agent.request(location));
  }

  it.each(['google', 'microsoft', 'linkedin'])('%s: discovery, code redemption and keys', async (provider) => {
    const end = await signInWith(provider);
    expect(end.url.startsWith(redirectUri), end.$('main').text().replace(/\s+/g, ' ')).toBe(true);
  });

  it('facebook: code redemption and the Graph call', async () => {
    const end = await signInWith('facebook');
    expect(standIns.facebook.lastGraphQuery).toBeDefined();
    // Its email is not verified by Facebook: the person is asked to confirm it, after the Graph call answered.
    expect(end.status, end.$('main').text().replace(/\s+/g, ' ')).toBe(200);
  });
});
