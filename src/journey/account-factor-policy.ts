import { acrOfLevel, requestedLevel } from '../factors/assurance.ts';
import type { FactorPolicy as AccountPolicy, SignInMethod as PolicyMethod } from '../factors/factor-policy.ts';
import type { FactorDecision, SignInAttempt } from './factor-policy.ts';
import type { JourneyFactorPolicy } from './flow.ts';
import { confirmStep } from './steps/confirm.step.ts';
import { enrolStep, type SignInEnrolment } from './steps/enrol.step.ts';

export interface AccountFactorPolicyOptions {
  /** Mail a code to a browser the account never used (off in the test config, where every test is a new browser). */
  newDeviceCheck: boolean;
  /** Setting up a factor at sign-in, for members whose organization requires one. */
  enrolment: SignInEnrolment;
}

const policyMethod: Record<SignInAttempt['method']['kind'], PolicyMethod> = {
  password: 'password',
  passkey: 'passkey',
  federated: 'federated',
  social_email: 'federated',
  // The password chosen on the sign-up page, its address just confirmed.
  sign_up: 'password',
};

/**
 * The journey's FactorPolicy, answered by the account's factors, its organization's requirement
 * and the app's acr_values (src/factors/factor-policy.ts): each decision becomes the step to show.
 */
export function accountFactorPolicy(policy: Pick<AccountPolicy, 'decide'>, options: AccountFactorPolicyOptions): JourneyFactorPolicy {
  return {
    // The steps it sends sign-ins to, mounted by the journey beside its own.
    steps: [confirmStep, enrolStep(options.enrolment)],
    async decide({ account, method, acrValues, deviceToken }: SignInAttempt): Promise<FactorDecision> {
      const decision = await policy.decide({
        accountId: account.id,
        method: policyMethod[method.kind],
        amr: method.amr,
        deviceToken,
        requestedLevel: requestedLevel(acrValues),
        upstream: method.connectionId && method.upstream ? { connectionId: method.connectionId, ...method.upstream } : undefined,
        enrolmentPostponed: method.enrolmentPostponed,
      });
      const signingIn = { accountId: account.id, email: account.email, method };
      switch (decision.next) {
        case 'done':
          return { kind: 'complete', acr: decision.acr, amr: decision.amr };
        case 'factor':
          if (decision.methods.length) return { kind: 'step', step: { step: 'confirm', ...signingIn, methods: decision.methods } };
          // A passkey without user verification, on an account with no other factor: its password is the second.
          return { kind: 'step', step: { step: 'password', email: account.email, after: signingIn } };
        case 'device_code':
          if (!options.newDeviceCheck) return { kind: 'complete', acr: acrOfLevel(1), amr: method.amr };
          return { kind: 'step', step: { step: 'device_code', ...signingIn } };
        // A member without the factor their organization requires sets it up now ("Later" within the grace period).
        case 'enrol':
          return {
            kind: 'step',
            step: { step: 'enrol', ...signingIn, phishingResistant: decision.phishingResistant, deadline: decision.deadline?.getTime() },
          };
        case 'unmet':
          return { kind: 'unmet' };
      }
    },
  };
}
