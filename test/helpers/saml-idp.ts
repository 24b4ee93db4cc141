import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as samlify from 'samlify';
import { generate } from 'selfsigned';

// Our tests check our side of the exchange; samlify's own XSD validation is not what is under test.
samlify.setSchemaValidator({ validate: async () => 'skipped' });

const { SamlLib } = samlify;
const bindings = { redirect: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect', post: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST' };
const emailFormat = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';

export interface SamlUser {
  nameId: string;
  email?: string;
  givenName?: string;
  familyName?: string;
  /** Attribute names to send the values under (defaults: the ADFS / Entra ID claim URIs). */
  attributeNames?: { email?: string; givenName?: string; familyName?: string };
}

/** What to change in an otherwise correct response: each lets a test build one kind of bad answer, signed by the IdP. */
export interface ResponseOptions {
  sign?: 'assertion' | 'response' | 'both';
  audience?: string;
  recipient?: string;
  destination?: string;
  inResponseTo?: string;
  notBefore?: Date;
  notOnOrAfter?: Date;
  issuer?: string;
  /** A failed sign-in (no assertion), e.g. the user cancelled: urn:oasis:names:tc:SAML:2.0:status:AuthnFailed. */
  status?: string;
}

export interface ParsedAuthnRequest {
  id: string;
  relayState: string;
  /** The email our server put in the AuthnRequest Subject, if any. */
  subjectNameId: string | undefined;
  loginHint: string | null;
  /** samlify verified the request signature against our SP metadata. */
  signatureVerified: boolean;
  xml: string;
}

export interface SamlResponseForm {
  acsUrl: string;
  SAMLResponse: string;
  RelayState: string;
}

const escapeXml = (value: string) => value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function attributeStatement(user: SamlUser): string {
  const names = {
    email: user.attributeNames?.email ?? 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress',
    givenName: user.attributeNames?.givenName ?? 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname',
    familyName: user.attributeNames?.familyName ?? 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname',
  };
  const attributes = (['email', 'givenName', 'familyName'] as const)
    .filter((field) => user[field] !== undefined)
    .map(
      (field) =>
        `<saml:Attribute Name="${escapeXml(names[field])}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:uri"><saml:AttributeValue xsi:type="xs:string">${escapeXml(user[field]!)}</saml:AttributeValue></saml:Attribute>`,
    );
  return attributes.length ? `<saml:AttributeStatement>${attributes.join('')}</saml:AttributeStatement>` : '';
}

/**
 * A real SAML 2.0 identity provider for tests: samlify's IdP side, signing with its own key and
 * self-signed certificate generated at start. It serves its metadata and an SSO endpoint that
 * signs the configured user in at once (or refuses, per `failWith`), answering with an
 * auto-posting form, as ADFS or Okta would.
 */
export class TestSamlIdp {
  readonly server: Server;
  readonly baseUrl: string;
  readonly entityId: string;
  readonly idp: samlify.IdentityProviderInstance;
  readonly privateKey: string;
  readonly certificate: string;
  user: SamlUser = { nameId: 'user@example.com', email: 'user@example.com' };
  /** The next response's options (the SSO endpoint uses these). */
  responseOptions: ResponseOptions = {};
  lastRequest: ParsedAuthnRequest | undefined;
  #spMetadata: string | undefined;

  private constructor(
    server: Server,
    baseUrl: string,
    keys: { privateKey: string; certificate: string },
    options: { binding: 'redirect' | 'post'; wantAuthnRequestsSigned: boolean },
  ) {
    this.server = server;
    this.baseUrl = baseUrl;
    this.entityId = `${baseUrl}/metadata`;
    this.privateKey = keys.privateKey;
    this.certificate = keys.certificate;
    this.idp = samlify.IdentityProvider({
      entityID: this.entityId,
      signingCert: keys.certificate,
      privateKey: keys.privateKey,
      nameIDFormat: [emailFormat],
      wantAuthnRequestsSigned: options.wantAuthnRequestsSigned,
      singleSignOnService: [{ Binding: bindings[options.binding], Location: `${baseUrl}/sso` }],
    });
  }

  /** `hostname: 'localhost'` makes the IdP another site than the service (127.0.0.1) for a browser: its form post is cross-site. */
  static async start(
    options: { binding?: 'redirect' | 'post'; wantAuthnRequestsSigned?: boolean; hostname?: '127.0.0.1' | 'localhost' } = {},
  ): Promise<TestSamlIdp> {
    const generated = await generate([{ name: 'commonName', value: 'Test SAML IdP' }], { keySize: 2048, algorithm: 'sha256' });
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const idp = new TestSamlIdp(
      server,
      `http://${options.hostname ?? '127.0.0.1'}:${port}`,
      { privateKey: generated.private, certificate: generated.cert },
      {
        binding: options.binding ?? 'redirect',
        wantAuthnRequestsSigned: options.wantAuthnRequestsSigned ?? true,
      },
    );
    server.on('request', (request, response) => {
      idp.#handle(request.method ?? 'GET', new URL(request.url ?? '/', idp.baseUrl), request).then(
        ({ status, type, body }) => response.writeHead(status, { 'content-type': type }).end(body),
        (error: Error) => response.writeHead(400, { 'content-type': 'text/plain' }).end(`IdP error: ${error.message}`),
      );
    });
    return idp;
  }

  get metadataXml(): string {
    return this.idp.getMetadata();
  }

  get metadataUrl(): string {
    return `${this.baseUrl}/metadata`;
  }

  /** Trusts our SP (its metadata as our server publishes it). */
  trust(spMetadataXml: string): void {
    this.#spMetadata = spMetadataXml;
  }

  #serviceProvider(sign: ResponseOptions['sign']): samlify.ServiceProviderInstance {
    if (!this.#spMetadata) throw new Error('call trust(spMetadata) first');
    const wantsAssertionSigned = sign !== 'response';
    const metadata = this.#spMetadata.replace(/WantAssertionsSigned="[^"]*"/, `WantAssertionsSigned="${wantsAssertionSigned}"`);
    return samlify.ServiceProvider({ metadata, wantMessageSigned: sign === 'response' || sign === 'both' });
  }

  /** Reads (and verifies, when the IdP wants signed requests) an AuthnRequest sent with the redirect or POST binding. */
  async parseRequest(input: { url: string } | { fields: Record<string, string> }): Promise<ParsedAuthnRequest> {
    const sp = this.#serviceProvider('assertion');
    let parsed: Awaited<ReturnType<samlify.IdentityProviderInstance['parseLoginRequest']>>;
    let relayState: string;
    let loginHint: string | null = null;
    if ('url' in input) {
      const url = new URL(input.url);
      const raw = url.search.slice(1).split('&');
      const octetString = ['SAMLRequest', 'RelayState', 'SigAlg']
        .map((name) => raw.find((part) => part.startsWith(`${name}=`)))
        .filter(Boolean)
        .join('&');
      const query = Object.fromEntries(url.searchParams);
      relayState = query.RelayState ?? '';
      loginHint = url.searchParams.get('login_hint');
      parsed = await this.idp.parseLoginRequest(sp, 'redirect', { query, octetString });
    } else {
      relayState = input.fields.RelayState ?? '';
      parsed = await this.idp.parseLoginRequest(sp, 'post', { body: input.fields });
    }
    const xml = parsed.samlContent;
    const subject = /<(?:\w+:)?Subject\b[^>]*>\s*<(?:\w+:)?NameID\b[^>]*>([^<]+)</.exec(xml)?.[1];
    const request: ParsedAuthnRequest = {
      id: String(parsed.extract.request?.id),
      relayState,
      subjectNameId: subject,
      loginHint,
      signatureVerified: this.idp.entityMeta.isWantAuthnRequestsSigned(),
      xml,
    };
    this.lastRequest = request;
    return request;
  }

  /** A response to `request` for `user`, built from samlify's template and signed by samlify with the IdP key. */
  async respond(
    request: Pick<ParsedAuthnRequest, 'id' | 'relayState'> | undefined,
    user: SamlUser = this.user,
    options: ResponseOptions = this.responseOptions,
  ): Promise<SamlResponseForm> {
    const sp = this.#serviceProvider(options.status ? 'response' : (options.sign ?? 'assertion'));
    const acsUrl = sp.entityMeta.getAssertionConsumerService('post') as string;
    const now = new Date();
    const fiveMinutesLater = new Date(now.getTime() + 5 * 60_000).toISOString();
    const id = `_${randomBytes(16).toString('hex')}`;
    const values = {
      ID: id,
      AssertionID: `_${randomBytes(16).toString('hex')}`,
      Destination: options.destination ?? acsUrl,
      Audience: options.audience ?? sp.entityMeta.getEntityID(),
      SubjectRecipient: options.recipient ?? acsUrl,
      Issuer: options.issuer ?? this.entityId,
      IssueInstant: now.toISOString(),
      StatusCode: 'urn:oasis:names:tc:SAML:2.0:status:Success',
      ConditionsNotBefore: (options.notBefore ?? now).toISOString(),
      ConditionsNotOnOrAfter: options.notOnOrAfter?.toISOString() ?? fiveMinutesLater,
      SubjectConfirmationDataNotOnOrAfter: options.notOnOrAfter?.toISOString() ?? fiveMinutesLater,
      NameIDFormat: emailFormat,
      NameID: user.nameId,
      InResponseTo: options.inResponseTo ?? request?.id ?? '',
    };
    const authnStatement = `<saml:AuthnStatement AuthnInstant="${values.IssueInstant}" SessionIndex="${values.AssertionID}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>`;
    const failure = options.status
      ? `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="{ID}" Version="2.0" IssueInstant="{IssueInstant}" Destination="{Destination}" InResponseTo="{InResponseTo}"><saml:Issuer>{Issuer}</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Responder"><samlp:StatusCode Value="${escapeXml(options.status)}"/></samlp:StatusCode></samlp:Status></samlp:Response>`
      : undefined;
    const response = await this.idp.createLoginResponse(
      sp,
      { extract: { request: { id: values.InResponseTo } } },
      'post',
      { email: user.nameId },
      {
        relayState: request?.relayState,
        customTagReplacement: (template: string) => ({
          id,
          context: SamlLib.replaceTagsByValue(
            (failure ?? template).replace('{AuthnStatement}', authnStatement).replace('{AttributeStatement}', attributeStatement(user)),
            values,
          ),
        }),
      },
    );
    return { acsUrl, SAMLResponse: response.context, RelayState: request?.relayState ?? '' };
  }

  async #handle(method: string, url: URL, request: import('node:http').IncomingMessage): Promise<{ status: number; type: string; body: string }> {
    if (url.pathname === '/metadata') return { status: 200, type: 'application/samlmetadata+xml', body: this.metadataXml };
    if (url.pathname !== '/sso') return { status: 404, type: 'text/plain', body: 'not found' };
    let authnRequest: ParsedAuthnRequest;
    if (method === 'POST') {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      authnRequest = await this.parseRequest({ fields: Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString())) });
    } else {
      authnRequest = await this.parseRequest({ url: url.toString() });
    }
    const form = await this.respond(authnRequest);
    const body = `<!doctype html><html><head><title>Test IdP</title></head><body><h1>Test IdP</h1>
<form method="post" action="${escapeXml(form.acsUrl)}"><input type="hidden" name="SAMLResponse" value="${escapeXml(form.SAMLResponse)}"><input type="hidden" name="RelayState" value="${escapeXml(form.RelayState)}"><button type="submit">Continue</button></form>
<script>document.forms[0].submit()</script></body></html>`;
    return { status: 200, type: 'text/html', body };
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** Decodes a base64 SAMLResponse to XML, lets `change` edit it, and encodes it again (the signature is left as it was). */
export function tamper(samlResponse: string, change: (xml: string) => string): string {
  return Buffer.from(change(Buffer.from(samlResponse, 'base64').toString('utf8'))).toString('base64');
}

/** Removes every XML signature from a response: an unsigned answer. */
export function stripSignatures(samlResponse: string): string {
  return tamper(samlResponse, (xml) => xml.replace(/<ds:Signature[\s\S]*?<\/ds:Signature>/g, ''));
}
