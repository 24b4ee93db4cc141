import { type ScimPatchOperation, scimPatch } from 'scim-patch';
import { z } from 'zod';
import { ScimError, type ScimType } from './scim-error.ts';
import { patchOpSchema, type ScimResource } from './scim-resources.ts';

const patchRequestSchema = z.object({
  schemas: z.array(z.string()).refine((schemas) => schemas.includes(patchOpSchema)),
  Operations: z
    .array(z.looseObject({ op: z.string(), path: z.string().optional(), value: z.unknown().optional() }))
    .min(1)
    .max(1000),
});

const invalidSyntax = (detail?: string) => new ScimError('scim.invalid_syntax', 400, 'invalidSyntax', detail);
const scimTypes = new Set<string>(['invalidFilter', 'invalidSyntax', 'invalidPath', 'noTarget', 'invalidValue', 'mutability']);

/** `members` values are compared by id alone: Entra ID removes `{ value }`, Okta adds `{ value, display }`. */
function membersById(operation: { path?: string | undefined; value?: unknown }): unknown {
  if (operation.path?.toLowerCase() !== 'members' || !Array.isArray(operation.value)) return operation.value;
  return operation.value.map((member) => (typeof member === 'object' && member !== null && 'value' in member ? { value: member.value } : member));
}

/**
 * Applies an RFC 7644 PATCH request to a resource with scim-patch, after Entra ID's quirks are
 * smoothed: capitalised `op` ("Replace"), and `members` values carrying more than their id. Value
 * maps without a `path` (`{"op":"Replace","value":{"active":false,"name.givenName":"A"}}`) are
 * scim-patch's own. The caller reads the result as it reads a PUT.
 */
export function applyPatch<T extends ScimResource>(resource: T, body: unknown): T {
  const parsed = patchRequestSchema.safeParse(body);
  if (!parsed.success) throw invalidSyntax();
  const operations = parsed.data.Operations.map((operation) => {
    const op = operation.op.toLowerCase();
    if (op !== 'add' && op !== 'replace' && op !== 'remove') throw invalidSyntax(`Unknown op "${operation.op}".`);
    if (op === 'remove' && !operation.path) throw new ScimError('scim.invalid_syntax', 400, 'noTarget', 'A remove needs a path.');
    return { ...operation, op, value: membersById(operation) } as ScimPatchOperation;
  });
  try {
    // Members are compared by id only, so the resource's members are reduced to their ids too.
    const patchable = {
      ...resource,
      ...(Array.isArray(resource.members) ? { members: resource.members.map((member: { value: string }) => ({ value: member.value })) } : {}),
    };
    return scimPatch(patchable, operations, { mutateDocument: false, treatMissingAsAdd: true }) as T;
  } catch (error) {
    const scimCode = (error as { scimCode?: string }).scimCode;
    const scimType = (scimCode && scimTypes.has(scimCode) ? scimCode : 'invalidValue') as ScimType;
    throw new ScimError('scim.invalid_syntax', 400, scimType, error instanceof Error ? error.message : undefined);
  }
}
