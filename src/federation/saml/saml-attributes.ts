import { z } from 'zod';

/**
 * Attribute names tried in order for each profile field. The defaults cover what ADFS and Entra ID
 * (WS-Federation claim URIs), Okta (plain names), Google Workspace (names chosen at mapping time,
 * usually these) and Shibboleth-style IdPs (urn:oid names) send.
 */
export const attributeMappingSchema = z.object({
  email: z.array(z.string().min(1)).min(1),
  givenName: z.array(z.string().min(1)),
  familyName: z.array(z.string().min(1)),
  name: z.array(z.string().min(1)),
});
export type AttributeMapping = z.infer<typeof attributeMappingSchema>;

export const defaultAttributeMapping: AttributeMapping = {
  email: [
    'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress',
    'urn:oid:0.9.2342.19200300.100.1.3',
    'email',
    'mail',
    'Email',
    'emailAddress',
    'EmailAddress',
  ],
  givenName: [
    'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname',
    'urn:oid:2.5.4.42',
    'givenName',
    'given_name',
    'firstName',
    'FirstName',
    'first_name',
  ],
  familyName: [
    'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname',
    'urn:oid:2.5.4.4',
    'sn',
    'surname',
    'familyName',
    'family_name',
    'lastName',
    'LastName',
    'last_name',
  ],
  name: ['http://schemas.microsoft.com/identity/claims/displayname', 'urn:oid:2.16.840.1.113730.3.1.241', 'displayName', 'displayname', 'name'],
};

const emailNameIdFormat = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';
const looksLikeEmail = (value: string) => /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value);

function firstValue(attributes: Record<string, unknown>, names: string[]): string | undefined {
  for (const name of names) {
    const raw = attributes[name];
    const value = Array.isArray(raw) ? raw.find((item) => typeof item === 'string') : raw;
    if (typeof value === 'string' && value.trim()) return value.trim();
  }
  return undefined;
}

export interface MappedAttributes {
  email: string | undefined;
  givenName: string | undefined;
  familyName: string | undefined;
  name: string | undefined;
}

/** Maps a signed assertion's attributes; the NameID stands in for the email when it is one (Google, Okta defaults). */
export function mapAttributes(
  attributes: Record<string, unknown>,
  nameId: string,
  nameIdFormat: string | undefined,
  mapping: AttributeMapping,
): MappedAttributes {
  const givenName = firstValue(attributes, mapping.givenName);
  const familyName = firstValue(attributes, mapping.familyName);
  const email = firstValue(attributes, mapping.email) ?? (nameIdFormat === emailNameIdFormat || looksLikeEmail(nameId) ? nameId : undefined);
  const name = firstValue(attributes, mapping.name) ?? ([givenName, familyName].filter(Boolean).join(' ') || undefined);
  return { email: email && looksLikeEmail(email) ? email : undefined, givenName, familyName, name };
}

const wsClaims = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims';

/**
 * What each common IdP sends by default, tried before the general defaults (which stay behind them
 * for attributes an admin renamed): ADFS and Entra ID use claim URIs, Okta and Google plain names.
 */
export const attributePresets = {
  adfs: {
    email: [`${wsClaims}/emailaddress`, `${wsClaims}/upn`],
    givenName: [`${wsClaims}/givenname`],
    familyName: [`${wsClaims}/surname`],
    name: ['http://schemas.xmlsoap.org/claims/CommonName', `${wsClaims}/name`],
  },
  entra: {
    email: [`${wsClaims}/emailaddress`, `${wsClaims}/name`],
    givenName: [`${wsClaims}/givenname`],
    familyName: [`${wsClaims}/surname`],
    name: ['http://schemas.microsoft.com/identity/claims/displayname'],
  },
  okta: { email: ['email'], givenName: ['firstName'], familyName: ['lastName'], name: ['displayName'] },
  google: { email: ['email'], givenName: ['firstName'], familyName: ['lastName'], name: ['name'] },
} satisfies Record<string, AttributeMapping>;
export type AttributePreset = keyof typeof attributePresets;
export const attributePresetNames = Object.keys(attributePresets) as AttributePreset[];

/** The preset an IdP's entity id or sign-in URL gives away; undefined: another IdP (the general defaults). */
export function detectAttributePreset(idp: { entityId: string; ssoUrl: string }): AttributePreset | undefined {
  const both = `${idp.entityId} ${idp.ssoUrl}`;
  if (/sts\.windows\.net|login\.microsoftonline\.com/.test(both)) return 'entra';
  if (/\/adfs\/(services\/trust|ls)/i.test(both)) return 'adfs';
  if (/\.okta(preview)?\.com|\.oktapreview\.com/.test(both)) return 'okta';
  if (/accounts\.google\.com/.test(both)) return 'google';
  return undefined;
}

/**
 * The mapping of a connection: the preset's names first, then the general defaults, then each field
 * an admin overrides replaced by exactly the names given.
 */
export function attributeMappingFor(preset: AttributePreset | undefined, overrides: Partial<AttributeMapping> = {}): AttributeMapping {
  const base = preset ? attributePresets[preset] : undefined;
  const merged = (field: keyof AttributeMapping) => overrides[field] ?? [...new Set([...(base?.[field] ?? []), ...defaultAttributeMapping[field]])];
  return attributeMappingSchema.parse({ email: merged('email'), givenName: merged('givenName'), familyName: merged('familyName'), name: merged('name') });
}
