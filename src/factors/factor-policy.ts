import type { OrganizationMfaPolicyRow } from '../db/schema.ts';
import { type AcrValue, type Amr, type AssuranceLevel, acrOfLevel, levelOfAmr, withMfa } from './assurance.ts';
import type { Clock } from './clock.ts';
import type { DeviceCheckService } from './device-check.service.ts';
import type { FactorKind, FactorService, FactorSummary } from './factor.service.ts';
import type { FactorPolicyRepository } from './policy.repository.ts';

/** How the person got this far: every way in goes through the same policy. */
export type SignInMethod = 'password' | 'passkey' | 'federated' | 'signup' | 'invitation';

export interface SignInAttempt {
  accountId: string;
  method: SignInMethod;
  /** What was done so far (RFC 8176 values). */
  amr: readonly string[];
  deviceToken: string | undefined;
  /** The level the app asked for (acr_values, or a step-up above the session's). */
  requestedLevel?: AssuranceLevel | undefined;
  /** A federated sign-in: what the upstream said it did, counted only where its connection trusts it. */
  upstream?: { connectionId: string; amr: readonly string[]; acr?: string | undefined } | undefined;
  /** The person chose "Later" on the enrolment page: honoured while the organization's grace period lasts. */
  enrolmentPostponed?: boolean | undefined;
}

export type PolicyDecision =
  | { next: 'done'; amr: Amr[]; acr: AcrValue }
  /** Ask for one of these factors on "Confirm it's you". */
  | { next: 'factor'; methods: FactorKind[]; level: AssuranceLevel }
  /** No factor on a browser this account never used: a code mailed to the address. */
  | { next: 'device_code' }
  /** An organization requires a factor the account does not have yet; with a deadline (grace period) the person may go on for now. */
  | { next: 'enrol'; phishingResistant: boolean; deadline: Date | undefined }
  /** The app asked for a level this account cannot reach: unmet_authentication_requirements. */
  | { next: 'unmet' };

export interface FactorPolicyDependencies {
  clock: Clock;
  factors: FactorService;
  devices: DeviceCheckService;
  policies: FactorPolicyRepository;
}

const dayMs = 24 * 60 * 60 * 1000;

function reachableLevel(summary: FactorSummary): AssuranceLevel {
  if (summary.passkeys.length) return 3;
  return summary.hasSecondFactor ? 2 : 1;
}

function methodsFor(summary: FactorSummary, level: AssuranceLevel, amr: readonly string[]): FactorKind[] {
  const usedKey = amr.includes('hwk') || amr.includes('swk');
  const methods: FactorKind[] = [];
  if (summary.passkeys.length && !usedKey) methods.push('passkey');
  if (level < 3 && summary.totp) methods.push('totp');
  if (level < 3 && summary.recoveryCodesLeft > 0) methods.push('recovery_code');
  return methods;
}

/**
 * The factor policy at the end of every sign-in (password, passkey, sign-up, invitation, social,
 * enterprise). An account with a factor confirms it unless this browser is trusted; one without
 * is asked a mailed code on a browser it never used; an organization's requirement, or an app's
 * acr_values, raise the level (device trust never stands in for a required level).
 */
export class FactorPolicy {
  readonly #deps: FactorPolicyDependencies;

  constructor(deps: FactorPolicyDependencies) {
    this.#deps = deps;
  }

  async decide(attempt: SignInAttempt): Promise<PolicyDecision> {
    const { factors, devices, policies } = this.#deps;
    const amr = await this.#withTrustedUpstream(attempt);
    const summary = await factors.summary(attempt.accountId);
    const organization = (await policies.policiesOfAccount(attempt.accountId))[0];
    const organizationLevel: AssuranceLevel | undefined = organization ? (organization.phishing_resistant ? 3 : 2) : undefined;
    const current = levelOfAmr(amr);
    const done = (): PolicyDecision => ({ next: 'done', amr: withMfa(amr), acr: acrOfLevel(levelOfAmr(amr)) });

    if (organization && organizationLevel && reachableLevel(summary) < organizationLevel) {
      const deadline = this.#graceDeadline(organization);
      const inGrace = deadline !== undefined && deadline.getTime() > this.#deps.clock.now().getTime();
      if (!(inGrace && attempt.enrolmentPostponed))
        return { next: 'enrol', phishingResistant: organization.phishing_resistant, deadline: inGrace ? deadline : undefined };
    }
    const organizationRequires = organizationLevel && reachableLevel(summary) >= organizationLevel ? organizationLevel : 1;
    const required = Math.max(attempt.requestedLevel ?? 1, organizationRequires) as AssuranceLevel;

    if (current < required) {
      if (reachableLevel(summary) < required) return { next: 'unmet' };
      return { next: 'factor', methods: methodsFor(summary, required, amr), level: required };
    }
    if (current >= 2) return done();
    const standing = await devices.standing(attempt.accountId, attempt.deviceToken);
    if (summary.hasSecondFactor) return standing.trusted ? done() : { next: 'factor', methods: methodsFor(summary, 2, amr), level: 2 };
    // Sign-up and invitation links just proved the mailbox from this browser: nothing more to mail.
    if (standing.known || standing.trusted || attempt.method === 'signup' || attempt.method === 'invitation') return done();
    return { next: 'device_code' };
  }

  #graceDeadline(policy: OrganizationMfaPolicyRow): Date | undefined {
    return policy.grace_days > 0 ? new Date(policy.required_since.getTime() + policy.grace_days * dayMs) : undefined;
  }

  /** An upstream's amr/acr count as a second factor only if its connection's allow-list names them. */
  async #withTrustedUpstream(attempt: SignInAttempt): Promise<string[]> {
    const amr = [...attempt.amr];
    if (!attempt.upstream) return amr;
    const trust = await this.#deps.policies.upstreamTrust(attempt.upstream.connectionId);
    const trusted =
      attempt.upstream.amr.some((value) => trust.amr.includes(value)) || (attempt.upstream.acr !== undefined && trust.acr.includes(attempt.upstream.acr));
    return trusted ? [...amr, 'mfa'] : amr;
  }
}
