import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { environmentVariables } from '../src/config.ts';
import { socialProviders, socialVariables } from '../src/social-providers/social-providers.ts';

const root = path.resolve(import.meta.dirname, '..');

/** The one list of social providers (src/social-providers/) is what everything else is made from. */
describe('the social providers list', () => {
  it("is the README's table of SOCIAL_* variables, row by row, in order", () => {
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
    const documented = readme.split('\n').filter((line) => line.startsWith('| `SOCIAL_'));
    const expected = socialVariables.map(
      (variable) => `| \`${variable.name}\` | ${variable.default ? `\`${variable.default}\`` : 'unset'} | ${variable.meaning} |`,
    );
    expect(documented).toEqual(expected);
  });

  it('is where the configuration takes its SOCIAL_* variables from', () => {
    expect(environmentVariables.filter((variable) => variable.name.startsWith('SOCIAL_')).map((variable) => variable.name)).toEqual(
      socialVariables.map((variable) => variable.name),
    );
  });

  it('has a button icon for every provider', () => {
    for (const provider of socialProviders) expect(existsSync(path.join(root, 'views', 'assets', 'social', `${provider.name}.svg`)), provider.name).toBe(true);
  });
});
