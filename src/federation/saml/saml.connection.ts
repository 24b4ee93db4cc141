import { generateServiceProviderMetadata, type Profile, SAML, type SamlConfig, SamlStatusError, ValidateInResponseTo } from '@node-saml/node-saml';
import { signAuthnRequestPost } from '@node-saml/node-saml/lib/saml-post-signing.js';
import { DOMParser, XMLSerializer } from '@xmldom/xmldom';
import { z } from 'zod';
import { randomId } from '../../crypto/random-id.ts';
import type { Db } from '../../db/database.ts';
import { FederationError } from '../federation-error.ts';
import type { FederationState, FederationStateBox } from '../federation-state.ts';
import type { BeginInput, BeginResult, CallbackParams, ConnectionRecord, UpstreamConnection, UpstreamProfile } from '../upstream-connection.ts';
import { attributeMappingSchema, mapAttributes } from './saml-attributes.ts';
import type { SamlMessageRepository } from './saml-message.repository.ts';

/** At most two minutes of difference between the IdP's clock and ours. */
export const samlClockSkewMs = 120_000;
/** How long an AuthnRequest can be answered: long enough for a password and MFA at the IdP. */
export const samlRequestTtlSeconds = 600;

const assertionNamespace = 'urn:oasis:names:tc:SAML:2.0:assertion';
const signatureNamespace = 'http://www.w3.org/2000/09/xmldsig#';
const emailNameIdFormat = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';

export const samlSettingsSchema = z.object({
  idp: z.object({
    entityId: z.string().min(1),
    ssoUrl: z.url(),
    ssoBinding: z.enum(['redirect', 'post']),
    certificates: z.array(z.string().min(1)).min(1),
  }),
  metadataUrl: z.url().optional(),
  signAuthnRequests: z.boolean(),
  spCertificate: z.string().min(1),
  nameIdFormat: z.string().optional(),
  /**
   * How the email typed on our identifier page reaches the IdP: in the AuthnRequest's Subject
   * (ADFS, Okta), as a `login_hint` query parameter (Entra ID, which refuses a Subject), or not at all.
   */
  loginHint: z.enum(['subject', 'query', 'none']),
  attributes: attributeMappingSchema,
});
export type SamlSettings = z.infer<typeof samlSettingsSchema>;

export interface SamlDependencies {
  db: Db;
  issuer: string;
  states: FederationStateBox;
  messages: SamlMessageRepository;
}

/** Our service-provider identity for one connection: each connection is its own SP to its IdP. */
export function serviceProviderUrls(issuer: string, connectionId: string) {
  const base = `${issuer}/federation/${encodeURIComponent(connectionId)}/saml`;
  return { entityId: `${base}/metadata`, metadataUrl: `${base}/metadata`, acsUrl: `${base}/acs` };
}

/** Puts the email the user typed in the AuthnRequest's Subject, where SAML expects a requested subject. */
function withSubject(request: string, email: string): string {
  const document = new DOMParser().parseFromString(request, 'text/xml');
  const subject = document.createElementNS(assertionNamespace, 'saml:Subject');
  const nameId = document.createElementNS(assertionNamespace, 'saml:NameID');
  nameId.setAttribute('Format', emailNameIdFormat);
  nameId.appendChild(document.createTextNode(email));
  subject.appendChild(nameId);
  const root = document.documentElement!;
  const policy = Array.from(root.childNodes).find((node) => (node as Element).localName === 'NameIDPolicy') ?? null;
  root.insertBefore(subject, policy);
  return new XMLSerializer().serializeToString(document);
}

/** node-saml, plus the login hint in the Subject (signed afterwards for the POST binding). */
class ServiceProvider extends SAML {
  readonly #subjectHint: string | undefined;

  constructor(options: SamlConfig, subjectHint: string | undefined) {
    super(options);
    this.#subjectHint = subjectHint;
  }

  protected override async generateAuthorizeRequestAsync(isPassive: boolean, isHttpPostBinding: boolean): Promise<string> {
    const request = await super.generateAuthorizeRequestAsync(isPassive, false);
    const hinted = this.#subjectHint ? withSubject(request, this.#subjectHint) : request;
    return isHttpPostBinding && this.options.privateKey ? signAuthnRequestPost(hinted, { ...this.options, privateKey: this.options.privateKey }) : hinted;
  }
}

interface ResponseEnvelope {
  destination: string | null;
  signed: boolean;
}

/** Reads the response envelope: its Destination, and whether anything in it carries a signature at all. */
function inspectEnvelope(samlResponse: string): ResponseEnvelope {
  const xml = Buffer.from(samlResponse, 'base64').toString('utf8');
  const errors: string[] = [];
  const document = new DOMParser({ errorHandler: { error: (m) => errors.push(m), fatalError: (m) => errors.push(m) } }).parseFromString(xml, 'text/xml');
  const root = document?.documentElement;
  if (errors.length > 0 || !root || root.localName !== 'Response') throw new FederationError('federation.saml_invalid_response');
  return { destination: root.getAttribute('Destination') || null, signed: document.getElementsByTagNameNS(signatureNamespace, 'Signature').length > 0 };
}

/** Turns node-saml's validation errors into our stable codes (each has its own explanation page). */
function classify(error: unknown, envelope: ResponseEnvelope): FederationError {
  if (error instanceof FederationError) return error;
  if (error instanceof SamlStatusError) return new FederationError('federation.upstream_error', { cause: error, message: error.message });
  const message = (error as Error).message ?? '';
  const code = /signature/i.test(message)
    ? envelope.signed
      ? 'federation.saml_invalid_signature'
      : 'federation.saml_unsigned'
    : /InResponseTo/i.test(message)
      ? 'federation.saml_unknown_request'
      : /expired|not yet valid|subject confirmation/i.test(message)
        ? 'federation.saml_expired'
        : /audience/i.test(message)
          ? 'federation.saml_wrong_audience'
          : 'federation.saml_invalid_response';
  return new FederationError(code, { cause: error, message });
}

type XmlJs = Record<string, unknown> & { $?: Record<string, string> };
const children = (node: XmlJs | undefined, name: string): XmlJs[] => (node?.[name] as XmlJs[] | undefined) ?? [];

/**
 * SAML 2.0 through @node-saml/node-saml. node-saml checks the signature against the configured
 * certificates and hands back only the signed assertion (wrapping-safe), plus InResponseTo,
 * timestamps and audience. We add what it leaves out: issuer, Destination and Recipient, the
 * binding of InResponseTo to this sign-in's state, and the replay cache.
 */
export class SamlConnection implements UpstreamConnection {
  readonly record: ConnectionRecord;
  readonly settings: SamlSettings;
  readonly urls: ReturnType<typeof serviceProviderUrls>;
  readonly #deps: SamlDependencies;

  constructor(record: ConnectionRecord, deps: SamlDependencies) {
    this.record = record;
    this.settings = samlSettingsSchema.parse(record.settings);
    this.urls = serviceProviderUrls(deps.issuer, record.id);
    this.#deps = deps;
  }

  #serviceProvider(requestId: string, subjectHint?: string): ServiceProvider {
    const { idp, signAuthnRequests, nameIdFormat, spCertificate } = this.settings;
    const messages = this.#deps.messages;
    const connectionId = this.record.id;
    return new ServiceProvider(
      {
        issuer: this.urls.entityId,
        callbackUrl: this.urls.acsUrl,
        entryPoint: idp.ssoUrl,
        idpCert: idp.certificates,
        audience: this.urls.entityId,
        // A signed response or a signed assertion: node-saml refuses a response with neither.
        wantAuthnResponseSigned: false,
        wantAssertionsSigned: false,
        acceptedClockSkewMs: samlClockSkewMs,
        validateInResponseTo: ValidateInResponseTo.always,
        requestIdExpirationPeriodMs: samlRequestTtlSeconds * 1000,
        generateUniqueId: () => requestId,
        identifierFormat: nameIdFormat ?? null,
        // ADFS with Windows authentication refuses the default PasswordProtectedTransport context.
        disableRequestedAuthnContext: true,
        signatureAlgorithm: 'sha256',
        ...(signAuthnRequests && this.record.secrets.spPrivateKey ? { privateKey: this.record.secrets.spPrivateKey, publicCert: spCertificate } : {}),
        authnRequestBinding: idp.ssoBinding === 'post' ? 'HTTP-POST' : 'HTTP-Redirect',
        // The HTTP-POST binding carries the request base64-encoded only; DEFLATE belongs to HTTP-Redirect.
        skipRequestCompression: idp.ssoBinding === 'post',
        cacheProvider: {
          // The request row is written in begin(), with the sealed state; node-saml only reads it.
          saveAsync: async () => null,
          async getAsync(id: string) {
            const request = await messages.findRequest(id, connectionId);
            return request ? request.createdAt.toISOString() : null;
          },
          // Request ids stay answerable until they expire; the replay cache makes each response single-use.
          removeAsync: async () => null,
        },
      },
      subjectHint,
    );
  }

  metadataXml(): string {
    const { signAuthnRequests, spCertificate, nameIdFormat } = this.settings;
    return generateServiceProviderMetadata({
      issuer: this.urls.entityId,
      callbackUrl: this.urls.acsUrl,
      identifierFormat: nameIdFormat ?? null,
      wantAssertionsSigned: true,
      publicCerts: spCertificate,
      ...(signAuthnRequests && this.record.secrets.spPrivateKey ? { privateKey: this.record.secrets.spPrivateKey, signatureAlgorithm: 'sha256' as const } : {}),
    });
  }

  async begin({ uid, appClientId, loginHint, remember, returnTo }: BeginInput): Promise<BeginResult> {
    const requestId = `_${randomId(20)}`;
    const sealed = await this.#deps.states.seal({ uid, appClientId, connectionId: this.record.id, requestId, remember, returnTo });
    await this.#deps.messages.saveRequest(this.#deps.db, requestId, this.record.id, sealed, samlRequestTtlSeconds);
    const hint = loginHint && this.settings.loginHint !== 'none' ? loginHint : undefined;
    const provider = this.#serviceProvider(requestId, this.settings.loginHint === 'subject' ? hint : undefined);
    const additionalParams: Record<string, string> = this.settings.loginHint === 'query' && hint ? { login_hint: hint } : {};
    // RelayState is the request id: SAML caps it at 80 bytes, so the sealed state stays on our side.
    if (this.settings.idp.ssoBinding === 'post') {
      const fields = await provider.getAuthorizeMessageAsync(requestId, undefined, { additionalParams });
      return { kind: 'post', url: this.settings.idp.ssoUrl, fields: Object.fromEntries(Object.entries(fields).map(([key, value]) => [key, String(value)])) };
    }
    return { kind: 'redirect', url: await provider.getAuthorizeUrlAsync(requestId, undefined, { additionalParams }) };
  }

  async #state(params: CallbackParams) {
    const requestId = params.RelayState;
    // No RelayState pointing to a request of ours: an IdP-initiated (unsolicited) response, which we do not accept.
    const request = requestId ? await this.#deps.messages.findRequest(requestId, this.record.id) : undefined;
    if (!request) throw new FederationError(requestId ? 'federation.saml_unknown_request' : 'federation.saml_unsolicited');
    return this.#deps.states.open(request.stateSealed, this.record.id);
  }

  stateOf(params: CallbackParams): Promise<FederationState> {
    return this.#state(params);
  }

  async complete(params: CallbackParams): Promise<UpstreamProfile> {
    const state = await this.#state(params);
    if (!params.SAMLResponse) throw new FederationError('federation.saml_invalid_response');
    const envelope = inspectEnvelope(params.SAMLResponse);
    let profile: Profile | null;
    try {
      ({ profile } = await this.#serviceProvider(state.requestId!).validatePostResponseAsync({ SAMLResponse: params.SAMLResponse }));
    } catch (error) {
      throw classify(error, envelope);
    }
    if (!profile) throw new FederationError('federation.saml_invalid_response');
    return this.#checkAndMap(profile, envelope, state.requestId!);
  }

  async #checkAndMap(profile: Profile, envelope: ResponseEnvelope, requestId: string): Promise<UpstreamProfile> {
    // Everything below is read from the signed assertion node-saml returned, except the envelope's Destination.
    const assertion = (profile.getAssertion?.() as { Assertion?: XmlJs } | undefined)?.Assertion;
    if (!assertion?.$?.ID) throw new FederationError('federation.saml_invalid_response');
    if (profile.inResponseTo !== requestId) throw new FederationError('federation.saml_unknown_request');
    if (profile.issuer !== this.settings.idp.entityId) throw new FederationError('federation.saml_wrong_issuer');
    if (envelope.destination !== null && envelope.destination !== this.urls.acsUrl) throw new FederationError('federation.saml_wrong_destination');

    const bearer = children(children(assertion, 'Subject')[0], 'SubjectConfirmation').filter(
      (confirmation) => confirmation.$?.Method === 'urn:oasis:names:tc:SAML:2.0:cm:bearer',
    );
    const confirmationData = bearer.flatMap((confirmation) => children(confirmation, 'SubjectConfirmationData'));
    if (!confirmationData.some((data) => data.$?.Recipient === this.urls.acsUrl)) throw new FederationError('federation.saml_wrong_recipient');

    const notOnOrAfter = children(assertion, 'Conditions')[0]?.$?.NotOnOrAfter;
    const validUntil = Math.max(notOnOrAfter ? Date.parse(notOnOrAfter) || 0 : 0, Date.now() + samlRequestTtlSeconds * 1000) + samlClockSkewMs;
    if (!(await this.#deps.messages.markAssertionUsed(this.#deps.db, this.record.id, assertion.$.ID, new Date(validUntil)))) {
      throw new FederationError('federation.saml_replayed');
    }

    if (!profile.nameID) throw new FederationError('federation.saml_invalid_response');
    const attributes = (profile.attributes as Record<string, unknown> | undefined) ?? {};
    const mapped = mapAttributes(attributes, profile.nameID, profile.nameIDFormat, this.settings.attributes);
    return {
      connectionId: this.record.id,
      subject: profile.nameID,
      ...mapped,
      received: { NameID: profile.nameID, NameIDFormat: profile.nameIDFormat ?? null, ...attributes },
      // An IdP vouches for the addresses it asserts; account linking still trusts only the organization's proven domains.
      emailVerified: mapped.email !== undefined,
    };
  }
}
