import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { environmentVariables, loadConfig } from '../src/config.ts';
import { socialProviders, socialVariables } from '../src/federation/social/providers.ts';
import { projectRoot } from './helpers/processes.ts';
import { testSecrets } from './helpers/test-server.ts';

/** The README rows the list of providers calls for, in its order. */
const expectedRows = socialVariables.map(
  (variable) => `| \`${variable.name}\` | ${variable.default ? `\`${variable.default}\`` : 'unset'} | ${variable.meaning} |`,
);

describe('one list of social providers (src/federation/social/providers.ts)', () => {
  it('is what the README table of SOCIAL_* variables shows, row for row', () => {
    const readmeRows = readFileSync(path.join(projectRoot, 'README.md'), 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('| `SOCIAL_'));
    // On a failure, the expected rows are printed: paste them into the README's Configuration table.
    expect(readmeRows.join('\n')).toBe(expectedRows.join('\n'));
  });

  it('has one button icon per provider, and no icon without a provider', () => {
    const icons = readdirSync(path.join(projectRoot, 'views', 'assets', 'social')).filter((file) => file.endsWith('.svg'));
    expect(icons.sort()).toEqual(socialProviders.map((provider) => `${provider.name}.svg`).sort());
  });

  it('defines the configuration: each variable is read, addresses default to the provider module’s own', () => {
    const names = new Set(environmentVariables.map((variable) => variable.name));
    for (const variable of socialVariables) expect(names.has(variable.name)).toBe(true);
    const config = loadConfig(
      {
        NODE_ENV: 'test',
        SOCIAL_FACEBOOK_CLIENT_ID: 'app-id',
        SOCIAL_FACEBOOK_CLIENT_SECRET: 'app-secret',
        SOCIAL_FACEBOOK_GRAPH_URL: 'http://127.0.0.1:1/graph',
      },
      testSecrets,
    );
    expect(config.social).toEqual({
      facebook: {
        clientId: 'app-id',
        clientSecret: 'app-secret',
        authorizationUrl: 'https://www.facebook.com/v23.0/dialog/oauth',
        tokenUrl: 'https://graph.facebook.com/v23.0/oauth/access_token',
        graphUrl: 'http://127.0.0.1:1/graph',
      },
    });
  });
});
