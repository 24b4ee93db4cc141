import { groupSchema, listResponseSchema, userSchema } from './scim-resources.ts';

/** RFC 7644 section 5 and RFC 7643 sections 5 to 7: what this service provider supports, for IdPs that read it. */
export function discoveryDocuments(baseUrl: string) {
  const meta = (resourceType: string, path: string) => ({ resourceType, location: `${baseUrl}${path}` });
  const serviceProviderConfig = {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
    documentationUri: `${baseUrl.replace(/\/scim\/v2$/, '')}/`,
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: maxPageSize },
    changePassword: { supported: false },
    sort: { supported: false },
    etag: { supported: false },
    authenticationSchemes: [
      { type: 'oauthbearertoken', name: 'Bearer token', description: 'A token from `orgs scim-token` or the admin center', primary: true },
    ],
    meta: meta('ServiceProviderConfig', '/ServiceProviderConfig'),
  };
  const resourceTypes = [
    {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:ResourceType'],
      id: 'User',
      name: 'User',
      endpoint: '/Users',
      schema: userSchema,
      meta: meta('ResourceType', '/ResourceTypes/User'),
    },
    {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:ResourceType'],
      id: 'Group',
      name: 'Group',
      endpoint: '/Groups',
      schema: groupSchema,
      meta: meta('ResourceType', '/ResourceTypes/Group'),
    },
  ];
  const text = (name: string, extra: Record<string, unknown> = {}) => ({
    name,
    type: 'string',
    multiValued: false,
    required: false,
    caseExact: false,
    mutability: 'readWrite',
    returned: 'default',
    uniqueness: 'none',
    ...extra,
  });
  const reference = (name: string, extra: Record<string, unknown>) => ({
    name,
    type: 'complex',
    multiValued: true,
    required: false,
    returned: 'default',
    subAttributes: [
      text('value', { mutability: 'immutable' }),
      text('display', { mutability: 'readOnly' }),
      text('$ref', { type: 'reference', referenceTypes: ['User', 'Group'] }),
    ],
    ...extra,
  });
  const schemas = [
    {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Schema'],
      id: userSchema,
      name: 'User',
      description: 'A member of the organization: userName is the email, in one of its verified domains',
      attributes: [
        text('userName', { required: true, uniqueness: 'server' }),
        text('externalId', { caseExact: true }),
        { ...text('name'), type: 'complex', subAttributes: [text('formatted'), text('givenName'), text('familyName')] },
        text('displayName'),
        { ...text('active'), type: 'boolean' },
        { ...reference('emails', { mutability: 'readOnly' }), subAttributes: [text('value'), text('type'), { ...text('primary'), type: 'boolean' }] },
        reference('groups', { mutability: 'readOnly' }),
      ],
      meta: meta('Schema', `/Schemas/${userSchema}`),
    },
    {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Schema'],
      id: groupSchema,
      name: 'Group',
      description: 'A group of members; "Sign-in Admins" and "Sign-in Owners" grant those roles',
      attributes: [
        text('displayName', { required: true, uniqueness: 'server' }),
        text('externalId', { caseExact: true }),
        reference('members', { mutability: 'readWrite' }),
      ],
      meta: meta('Schema', `/Schemas/${groupSchema}`),
    },
  ];
  const list = (resources: unknown[]) => ({
    schemas: [listResponseSchema],
    totalResults: resources.length,
    startIndex: 1,
    itemsPerPage: resources.length,
    Resources: resources,
  });
  return { serviceProviderConfig, resourceTypes, schemas, list };
}

export const maxPageSize = 200;
