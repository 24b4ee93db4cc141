/**
 * Every `/interaction/<uid>/...` address, and only here. Each carries the app's client_id, so that a
 * page whose interaction has expired (or another browser, without the interaction cookie) can still
 * name the app and lead back to it.
 */
import type { ErrorCode } from '../http/error-codes.ts';

/** The interaction an address belongs to: its uid and the app (`client_id`) it signs in to. */
export interface InteractionRef {
  uid: string;
  clientId: unknown;
}

/** The ref of an interaction as oidc-provider describes it (`interactionDetails()`, `Interaction.find()`). */
export function refOf(interaction: { uid: string; params: { client_id?: unknown } }): InteractionRef {
  return { uid: interaction.uid, clientId: interaction.params.client_id };
}

function build(ref: InteractionRef, segments: string[], params: Record<string, string | undefined> = {}): string {
  const query = new URLSearchParams();
  if (typeof ref.clientId === 'string' && ref.clientId) query.set('client_id', ref.clientId);
  for (const [name, value] of Object.entries(params)) if (value !== undefined) query.set(name, value);
  const path = ['interaction', ref.uid, ...segments].map(encodeURIComponent).join('/');
  const search = query.toString();
  return `/${path}${search ? `?${search}` : ''}`;
}

export const interactionUrls = {
  /** The sign-in page (whatever step the interaction is at), with extra query parameters. */
  signIn: (ref: InteractionRef, params: Record<string, string | undefined> = {}) => build(ref, [], params),
  /** A step's own address: `identifier`, `password`, `company-id`, `consent`, `abort`... */
  step: (ref: InteractionRef, step: string) => build(ref, [step]),
  /** Leaves for a company IdP (or, on failure, tries it again). */
  federated: (ref: InteractionRef, connectionId: string) => build(ref, ['federated', connectionId]),
  /** Where our federation callback sends the browser back, with the upstream's stored answer. */
  federatedResume: (ref: InteractionRef, callbackId: string) => build(ref, ['federated', 'resume'], { callback: callbackId }),
  federatedFailed: (ref: InteractionRef, reason: ErrorCode, connectionId: string | undefined) =>
    build(ref, ['federated', 'failed'], { reason, connection: connectionId }),
  /** The social buttons' form, and its other actions (`forget-link`, `confirm-email/send`). */
  social: (ref: InteractionRef, ...action: string[]) => build(ref, ['social', ...action.flatMap((part) => part.split('/'))]),
  /** The mailed link confirming a social identity's address (absolute: prefixed with the issuer). */
  socialConfirmEmail: (ref: InteractionRef, token?: string) => build(ref, ['social', 'confirm-email'], { token }),
};

/** The sign-up page of a sign-in (outside /interaction: the self-service pages find the sign-in by its uid). */
export function signUpPageUrl(ref: InteractionRef): string {
  return `/signup?${new URLSearchParams({ interaction: ref.uid })}`;
}
