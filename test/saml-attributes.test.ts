import { describe, expect, it } from 'vitest';
import { defaultAttributeMapping, mapAttributes } from '../src/federation/saml/saml-attributes.ts';

const emailFormat = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';
const persistent = 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent';

describe('SAML attribute mapping defaults', () => {
  it('reads ADFS and Entra ID claim URIs', () => {
    const mapped = mapAttributes(
      {
        'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress': 'Ada@Contoso.com',
        'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname': 'Ada',
        'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname': 'Lovelace',
        'http://schemas.microsoft.com/identity/claims/displayname': 'Ada Lovelace (Contoso)',
        // Entra's "name" claim is the UPN, not a display name: it must not become the name.
        'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name': 'ada@contoso.onmicrosoft.com',
      },
      'a1b2c3',
      persistent,
      defaultAttributeMapping,
    );
    expect(mapped).toEqual({ email: 'Ada@Contoso.com', givenName: 'Ada', familyName: 'Lovelace', name: 'Ada Lovelace (Contoso)' });
  });

  it('reads Okta-style plain names, and multi-valued attributes', () => {
    expect(
      mapAttributes({ email: ['grace@navy.example', 'g@navy.example'], firstName: 'Grace', lastName: 'Hopper' }, '00u1', persistent, defaultAttributeMapping),
    ).toEqual({
      email: 'grace@navy.example',
      givenName: 'Grace',
      familyName: 'Hopper',
      name: 'Grace Hopper',
    });
  });

  it('reads urn:oid names (Shibboleth, Google Workspace mappings)', () => {
    expect(
      mapAttributes(
        { 'urn:oid:0.9.2342.19200300.100.1.3': 'k@nasa.example', 'urn:oid:2.5.4.42': 'Katherine', 'urn:oid:2.5.4.4': 'Johnson' },
        'x',
        persistent,
        defaultAttributeMapping,
      ),
    ).toMatchObject({
      email: 'k@nasa.example',
      name: 'Katherine Johnson',
    });
  });

  it('uses an email NameID when no email attribute is sent (Google Workspace, Okta defaults), never a non-email one', () => {
    expect(mapAttributes({}, 'alan@bletchley.example', emailFormat, defaultAttributeMapping).email).toBe('alan@bletchley.example');
    expect(mapAttributes({}, 'alan@bletchley.example', undefined, defaultAttributeMapping).email).toBe('alan@bletchley.example');
    expect(mapAttributes({}, 'S-1-5-21-1004', persistent, defaultAttributeMapping).email).toBeUndefined();
    expect(mapAttributes({ email: 'not an email' }, 'S-1-5', persistent, defaultAttributeMapping).email).toBeUndefined();
  });
});
