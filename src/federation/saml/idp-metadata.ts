import { X509Certificate } from 'node:crypto';
import { DOMParser } from '@xmldom/xmldom';
import * as xpath from 'xpath';
import { AppError } from '../../http/errors.ts';

export const samlBindings = {
  redirect: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect',
  post: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST',
} as const;

export interface IdpDescriptor {
  entityId: string;
  ssoUrl: string;
  ssoBinding: keyof typeof samlBindings;
  /** Base64 DER bodies of the IdP's signing certificates (several during a key rollover). */
  certificates: string[];
  wantAuthnRequestsSigned: boolean;
}

const select = xpath.useNamespaces({
  md: 'urn:oasis:names:tc:SAML:2.0:metadata',
  ds: 'http://www.w3.org/2000/09/xmldsig#',
});

function invalid(message: string): AppError {
  return new AppError('federation.saml_metadata_invalid', 400, { message: `Invalid IdP metadata: ${message}` });
}

/** When each signing certificate (a base64 DER body) stops being valid; unreadable ones are left out. */
export function certificateExpiries(certificates: readonly string[]): { sha256: string; subject: string; notAfter: Date }[] {
  return certificates.flatMap((body) => {
    try {
      const certificate = new X509Certificate(Buffer.from(body, 'base64'));
      return [{ sha256: certificate.fingerprint256, subject: certificate.subject, notAfter: new Date(certificate.validTo) }];
    } catch {
      return [];
    }
  });
}

/** Reads what we need from an IdP's SAML metadata (an EntityDescriptor, or the first IdP of an EntitiesDescriptor). */
export function parseIdpMetadata(xml: string): IdpDescriptor {
  // No document type at all: its entities are how XXE and entity expansion ("billion laughs") get in.
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw invalid('a document type declaration (DTD) is not accepted');
  const errors: string[] = [];
  const document = new DOMParser({ errorHandler: { error: (m) => errors.push(m), fatalError: (m) => errors.push(m) } }).parseFromString(xml, 'text/xml');
  if (errors.length > 0 || !document?.documentElement) throw invalid('not well-formed XML');
  const entity = select('//md:EntityDescriptor[md:IDPSSODescriptor][1]', document, true) as Element | undefined;
  if (!entity) throw invalid('no EntityDescriptor with an IDPSSODescriptor');
  const entityId = entity.getAttribute('entityID');
  if (!entityId) throw invalid('the EntityDescriptor has no entityID');
  const descriptor = select('md:IDPSSODescriptor', entity, true) as Element;

  const services = select('md:SingleSignOnService', descriptor) as Element[];
  const redirect = services.find((service) => service.getAttribute('Binding') === samlBindings.redirect);
  const post = services.find((service) => service.getAttribute('Binding') === samlBindings.post);
  const chosen = redirect ?? post;
  const ssoUrl = chosen?.getAttribute('Location');
  if (!chosen || !ssoUrl || !URL.canParse(ssoUrl)) throw invalid('no SingleSignOnService with the HTTP-Redirect or HTTP-POST binding');

  const certificates = (select("md:KeyDescriptor[not(@use) or @use='signing']/ds:KeyInfo/ds:X509Data/ds:X509Certificate", descriptor) as Element[])
    .map((node) => (node.textContent ?? '').replace(/\s+/g, ''))
    .filter((body) => body.length > 0);
  if (certificates.length === 0) throw invalid('no signing certificate');

  return {
    entityId,
    ssoUrl,
    ssoBinding: chosen === redirect ? 'redirect' : 'post',
    certificates: [...new Set(certificates)],
    wantAuthnRequestsSigned: descriptor.getAttribute('WantAuthnRequestsSigned') === 'true',
  };
}
