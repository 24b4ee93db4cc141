import { beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
import { serverWithCli } from './helpers/cli-server.ts';

describe('CLI: organization MFA policy and upstream trust', () => {
  const { server: running, cli, cliJson } = serverWithCli();
  let server: RunningServer;

  beforeAll(async () => {
    server = running();
  });

  it('orgs update sets, changes and lifts the requirement; bad input is a usage error', async () => {
    const org = await server.services.orgs.organizationService.create({ name: 'Initech', domains: [], verifiedByOperator: false });
    const set = await cliJson<{ mfaPolicy: { phishing_resistant: boolean; grace_days: number } }>(
      'orgs',
      'update',
      '--org',
      'Initech',
      '--require-mfa',
      '--phishing-resistant',
      '--grace-days',
      '14',
    );
    expect(set.mfaPolicy).toMatchObject({ phishing_resistant: true, grace_days: 14 });
    expect(await server.services.factors.policies.findOfOrganization(org.id)).toMatchObject({ phishing_resistant: true, grace_days: 14 });

    const bad = await cli('orgs', 'update', '--org', 'Initech', '--grace-days', '7');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/go with --require-mfa/);
    expect((await cli('orgs', 'update', '--org', 'Initech', '--require-mfa', '--grace-days', 'soon')).code).toBe(2);

    const lifted = await cliJson<{ mfaPolicy: unknown }>('orgs', 'update', '--org', org.id);
    expect(lifted.mfaPolicy).toBeNull();
  });

  it('connections trust-upstream records the trusted amr/acr values of a connection', async () => {
    const unknown = await cli('connections', 'trust-upstream', '--connection', 'nope', '--amr', 'mfa');
    expect(unknown.code).toBe(2);
    const trusted = await cliJson<{ trustedAmr: string[] }>('connections', 'trust-upstream', '--connection', 'social-google', '--amr', 'mfa', '--amr', 'hwk');
    expect(trusted.trustedAmr).toEqual(['mfa', 'hwk']);
    expect(await server.services.factors.policies.upstreamTrust('social-google')).toEqual({ amr: ['mfa', 'hwk'], acr: [] });
  });
});
