import { z } from 'zod';
import type { ScimGroupRow } from '../db/schema.ts';
import { invalidValue } from './scim-error.ts';
import type { ScimGroupMember } from './scim-group.repository.ts';
import type { ScimUserRecord } from './scim-user.repository.ts';

export const userSchema = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const groupSchema = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const listResponseSchema = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const patchOpSchema = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

export interface ScimResource {
  schemas: string[];
  id: string;
  meta: { resourceType: string; created: Date; lastModified: Date; location: string };
  [attribute: string]: unknown;
}

export function userResource(baseUrl: string, user: ScimUserRecord, groups: Array<{ id: string; displayName: string }>): ScimResource {
  return {
    schemas: [userSchema],
    id: user.accountId,
    ...(user.externalId ? { externalId: user.externalId } : {}),
    userName: user.email,
    name: {
      ...(user.name ? { formatted: user.name } : {}),
      ...(user.givenName ? { givenName: user.givenName } : {}),
      ...(user.familyName ? { familyName: user.familyName } : {}),
    },
    ...(user.name ? { displayName: user.name } : {}),
    emails: [{ value: user.email, type: 'work', primary: true }],
    active: !user.disabled,
    groups: groups.map((group) => ({ value: group.id, display: group.displayName, $ref: `${baseUrl}/Groups/${group.id}` })),
    meta: { resourceType: 'User', created: user.created, lastModified: user.lastModified, location: `${baseUrl}/Users/${user.accountId}` },
  };
}

export function groupResource(baseUrl: string, group: ScimGroupRow, members: ScimGroupMember[] | undefined): ScimResource {
  return {
    schemas: [groupSchema],
    id: group.id,
    displayName: group.display_name,
    ...(group.external_id ? { externalId: group.external_id } : {}),
    ...(members
      ? { members: members.map((member) => ({ value: member.accountId, display: member.email, $ref: `${baseUrl}/Users/${member.accountId}` })) }
      : {}),
    meta: { resourceType: 'Group', created: group.created_at, lastModified: group.updated_at, location: `${baseUrl}/Groups/${group.id}` },
  };
}

/** Entra ID sends booleans as strings ("False"); RFC 7643 booleans are JSON true/false. Both are read. */
const booleanish = z.preprocess((value) => (typeof value === 'string' ? { true: true, false: false }[value.toLowerCase()] : value), z.boolean());
const optionalText = z
  .string()
  .nullish()
  .transform((value) => value?.trim() || null);

const userInputSchema = z.looseObject({
  userName: z.string().trim().min(1),
  externalId: optionalText,
  displayName: optionalText,
  name: z.looseObject({ formatted: optionalText, givenName: optionalText, familyName: optionalText }).nullish(),
  active: booleanish.optional(),
});

export interface UserInput {
  userName: string;
  externalId: string | null;
  name: string | null;
  givenName: string | null;
  familyName: string | null;
  /** Absent: unchanged (a PUT without it neither disables nor enables). */
  active: boolean | undefined;
}

/** The attributes of a User this service keeps; others (title, phone numbers, the enterprise extension) are accepted and ignored. */
export function readUserInput(body: unknown): UserInput {
  const parsed = userInputSchema.safeParse(body);
  if (!parsed.success) throw invalidValue(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; '));
  const { userName, externalId, displayName, name, active } = parsed.data;
  const givenName = name?.givenName ?? null;
  const familyName = name?.familyName ?? null;
  const joined = [givenName, familyName].filter(Boolean).join(' ') || null;
  return { userName, externalId, name: displayName ?? name?.formatted ?? joined, givenName, familyName, active };
}

const groupInputSchema = z.looseObject({
  displayName: z.string().trim().min(1),
  externalId: optionalText,
  members: z
    .array(z.looseObject({ value: z.string() }))
    .nullish()
    .transform((members) => [...new Set((members ?? []).map((member) => member.value))]),
});

export interface GroupInput {
  displayName: string;
  externalId: string | null;
  memberIds: string[];
}

export function readGroupInput(body: unknown): GroupInput {
  const parsed = groupInputSchema.safeParse(body);
  if (!parsed.success) throw invalidValue(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; '));
  return { displayName: parsed.data.displayName, externalId: parsed.data.externalId, memberIds: parsed.data.members };
}

/** Never left out (RFC 7643 section 7, returned "always"). */
const alwaysReturned = new Set(['schemas', 'id', 'meta']);

/** Applies `attributes` / `excludedAttributes` (RFC 7644 section 3.4.2.5) to top-level attributes. */
export function project(resource: ScimResource, query: { attributes?: string[]; excludedAttributes?: string[] }): Record<string, unknown> {
  const topLevel = (names: string[] | undefined) =>
    names &&
    new Set(
      names.map((name) =>
        name
          .replace(/^urn:.*:/, '')
          .split('.')[0]!
          .toLowerCase(),
      ),
    );
  const included = topLevel(query.attributes);
  const excluded = topLevel(query.excludedAttributes);
  return Object.fromEntries(
    Object.entries(resource).filter(([name]) => {
      const key = name.toLowerCase();
      if (alwaysReturned.has(key)) return true;
      if (included) return included.has(key);
      return !excluded?.has(key);
    }),
  );
}
