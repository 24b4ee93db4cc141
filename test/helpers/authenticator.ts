import { expect } from 'vitest';
import { totpCodeAt } from '../../src/factors/totp.ts';
import type { RunningServer } from '../../src/server.ts';

/**
 * Sets up an authenticator app for the account, confirmed with the previous time step's code (so
 * this step's and the next one's are still unused); returns its secret and recovery codes.
 */
export async function enrolAuthenticatorApp(server: RunningServer, account: { id: string; email: string }) {
  const enrolment = (await server.services.factors.service.beginTotp(account.id, account.email))!;
  const enrolled = await server.services.factors.service.confirmTotp(account.id, totpCodeAt(enrolment.secret, new Date(Date.now() - 30_000)));
  expect(enrolled.confirmed).toBe(true);
  return { secret: enrolment.secret, recoveryCodes: enrolled.recoveryCodes! };
}
