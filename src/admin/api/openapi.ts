import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject } from 'zod-openapi';
import { adminApiScope } from '../../oidc/admin-api-resource.ts';
import type { AdminApiRoute } from './admin-api.routes.ts';
import { errorSchema } from './admin-api.schemas.ts';

const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: errorSchema } } });

function operation(route: AdminApiRoute, issuer: string): ZodOpenApiOperationObject {
  const success =
    route.status === 204
      ? { description: 'Done' }
      : route.fileTypes
        ? { description: 'The export', content: Object.fromEntries(route.fileTypes.map((type) => [type, { schema: { type: 'string' as const } }])) }
        : { description: 'OK', content: { 'application/json': { schema: route.response! } } };
  return {
    operationId: route.operationId,
    summary: route.summary,
    description: `Needs the role **${route.role}**${route.scope === 'organization' ? ' in the organization' : ''}. Resource \`${issuer}/admin/api\`.`,
    tags: [route.scope === 'organization' ? 'Organizations' : 'Platform'],
    security: [{ bearer: [adminApiScope] }],
    ...(route.params || route.query
      ? { requestParams: { ...(route.params ? { path: route.params } : {}), ...(route.query ? { query: route.query } : {}) } }
      : {}),
    ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: route.body } } } } : {}),
    responses: {
      [String(route.status)]: success,
      '400': errorResponse('Invalid request'),
      '401': errorResponse('No valid access token for the admin API'),
      '403': errorResponse('The caller’s role is not enough'),
      '404': errorResponse('Not found (also: another organization’s object)'),
    },
  };
}

/** The OpenAPI 3.1 document of the admin API, generated from the route table's zod schemas. */
export function adminApiDocument(routes: readonly AdminApiRoute[], issuer: string) {
  const paths: ZodOpenApiPathsObject = {};
  for (const route of routes) paths[route.path] = { ...paths[route.path], [route.method]: operation(route, issuer) };
  return createDocument({
    openapi: '3.1.0',
    info: {
      title: 'Sign-in service admin API',
      version: '1.0.0',
      description: 'Organizations, their users, admins, domains and audit log. Bearer JWT access tokens for the resource `<ISSUER>/admin/api`.',
      license: { name: 'Proprietary', identifier: 'LicenseRef-Proprietary' },
    },
    servers: [{ url: `${issuer}/admin/api/v1` }],
    tags: [
      { name: 'Platform', description: 'The caller and the platform’s organizations' },
      { name: 'Organizations', description: 'One organization, for its owners and admins' },
    ],
    paths,
    components: {
      securitySchemes: {
        bearer: {
          type: 'oauth2',
          description: 'Access token (JWT) for the admin API: from the admin center, or client_credentials with resource=<ISSUER>/admin/api.',
          flows: { clientCredentials: { tokenUrl: `${issuer}/token`, scopes: { [adminApiScope]: 'The admin API' } } },
        },
      },
    },
  });
}
