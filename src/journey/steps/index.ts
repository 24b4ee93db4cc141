import type { JourneyStepDefinition } from '../flow.ts';
import { companyIdStep } from './company-id.step.ts';
import { consentStep } from './consent.step.ts';
import { federatedStep } from './federated.step.ts';
import { identifierStep } from './identifier.step.ts';
import { passkeyStep } from './passkey.step.ts';
import { passwordStep } from './password.step.ts';
import { signUpStep, startSignUp } from './sign-up.step.ts';
import { socialStep } from './social.step.ts';

/** The steps of the journey, in the order their routes are matched. */
export const journeySteps: JourneyStepDefinition[] = [
  identifierStep,
  passwordStep,
  companyIdStep,
  federatedStep,
  socialStep,
  passkeyStep,
  signUpStep,
  consentStep,
];

export { consentStep, identifierStep, startSignUp };
