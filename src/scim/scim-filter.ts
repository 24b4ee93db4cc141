import { type RawBuilder, type SqlBool, sql } from 'kysely';
import { type Filter, parse } from 'scim2-parse-filter';
import { invalidFilter } from './scim-error.ts';

/** How a filterable attribute compares: case-insensitive text (RFC 7643 caseExact false), exact text, boolean, timestamp or resource id. */
export type ScalarType = 'string' | 'caseExactString' | 'boolean' | 'dateTime' | 'id';

export interface ScalarAttribute {
  type: ScalarType;
  column: RawBuilder<unknown>;
}

/** A multi-valued attribute (emails, members): its sub-attributes, and how a condition on one value reaches the resource. */
export interface MultiValuedAttribute {
  sub: Record<string, ScalarAttribute>;
  exists?: (condition: RawBuilder<SqlBool>) => RawBuilder<SqlBool>;
}

/** The attributes a resource type can be filtered on, by lower-cased path. */
export type FilterAttributes = Record<string, ScalarAttribute | MultiValuedAttribute>;

const isMultiValued = (attribute: ScalarAttribute | MultiValuedAttribute): attribute is MultiValuedAttribute => 'sub' in attribute;
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const escapeLike = (value: string) => value.replace(/[\\%_]/g, (match) => `\\${match}`);

/** `urn:ietf:params:scim:schemas:core:2.0:User:userName` and `userName` name the same attribute; names are case-insensitive. */
function attributeName(path: string): string {
  const urnEnd = path.startsWith('urn:') ? path.lastIndexOf(':') : -1;
  return path.slice(urnEnd + 1).toLowerCase();
}

function compare(attribute: ScalarAttribute, op: string, value: unknown): RawBuilder<SqlBool> {
  const { type, column } = attribute;
  if (op === 'pr') return sql<SqlBool>`(${column} is not null)`;
  if (type === 'boolean') {
    const wanted = typeof value === 'string' ? value.toLowerCase() : value;
    if ((op !== 'eq' && op !== 'ne') || (wanted !== true && wanted !== false && wanted !== 'true' && wanted !== 'false')) throw invalidFilter();
    const flag = wanted === true || wanted === 'true';
    return op === 'eq' ? sql<SqlBool>`(${column} = ${flag})` : sql<SqlBool>`(${column} is distinct from ${flag})`;
  }
  if (typeof value !== 'string') throw invalidFilter();
  if (type === 'id') {
    if (op !== 'eq' && op !== 'ne') throw invalidFilter();
    if (!uuidPattern.test(value)) return op === 'eq' ? sql<SqlBool>`false` : sql<SqlBool>`true`;
    return op === 'eq' ? sql<SqlBool>`(${column} = ${value}::uuid)` : sql<SqlBool>`(${column} is distinct from ${value}::uuid)`;
  }
  if (type === 'dateTime') {
    const at = new Date(value);
    if (Number.isNaN(at.getTime())) throw invalidFilter();
    const operators: Record<string, string> = { eq: '=', gt: '>', ge: '>=', lt: '<', le: '<=' };
    if (op === 'ne') return sql<SqlBool>`(${column} is distinct from ${at})`;
    if (!operators[op]) throw invalidFilter();
    return sql<SqlBool>`(${column} ${sql.raw(operators[op])} ${at})`;
  }
  const fold = (expression: unknown) => (type === 'string' ? sql`lower(${expression})` : sql`${expression}`);
  const left = fold(column);
  const text = type === 'string' ? value.toLowerCase() : value;
  switch (op) {
    case 'eq':
      return sql<SqlBool>`(${left} = ${text})`;
    case 'ne':
      return sql<SqlBool>`(${left} is distinct from ${text})`;
    case 'co':
      return sql<SqlBool>`(${left} like ${`%${escapeLike(text)}%`})`;
    case 'sw':
      return sql<SqlBool>`(${left} like ${`${escapeLike(text)}%`})`;
    case 'ew':
      return sql<SqlBool>`(${left} like ${`%${escapeLike(text)}`})`;
    case 'gt':
      return sql<SqlBool>`(${left} > ${text})`;
    case 'ge':
      return sql<SqlBool>`(${left} >= ${text})`;
    case 'lt':
      return sql<SqlBool>`(${left} < ${text})`;
    case 'le':
      return sql<SqlBool>`(${left} <= ${text})`;
    default:
      throw invalidFilter();
  }
}

function translate(filter: Filter, attributes: Record<string, ScalarAttribute | MultiValuedAttribute>): RawBuilder<SqlBool> {
  switch (filter.op) {
    case 'and':
    case 'or': {
      const parts = filter.filters.map((part) => translate(part, attributes));
      return sql<SqlBool>`(${sql.join(parts, sql.raw(` ${filter.op} `))})`;
    }
    case 'not':
      return sql<SqlBool>`(not ${translate(filter.filter, attributes)})`;
    case '[]': {
      const attribute = attributes[attributeName(filter.attrPath)];
      if (!attribute || !isMultiValued(attribute)) throw invalidFilter(`${filter.attrPath} cannot be filtered on.`);
      const condition = translate(filter.valFilter, attribute.sub);
      return attribute.exists ? attribute.exists(condition) : condition;
    }
    default: {
      const name = attributeName(filter.attrPath);
      const direct = attributes[name];
      if (direct && !isMultiValued(direct)) return compare(direct, filter.op, 'compValue' in filter ? filter.compValue : undefined);
      // `emails.value eq "…"`: a sub-attribute of a multi-valued attribute, through its parent.
      const [parentName = '', subName = 'value'] = name.includes('.') ? name.split('.', 2) : [name];
      const parent = attributes[parentName];
      const sub = parent && isMultiValued(parent) ? parent.sub[subName] : undefined;
      if (!parent || !isMultiValued(parent) || !sub) throw invalidFilter(`${filter.attrPath} cannot be filtered on.`);
      const condition = compare(sub, filter.op, 'compValue' in filter ? filter.compValue : undefined);
      return parent.exists ? parent.exists(condition) : condition;
    }
  }
}

/** A SCIM filter (RFC 7644 section 3.4.2.2) as a SQL condition over the given attributes; 400 invalidFilter otherwise. */
export function filterCondition(filter: string, attributes: FilterAttributes): RawBuilder<SqlBool> {
  let parsed: Filter;
  try {
    parsed = parse(filter);
  } catch {
    throw invalidFilter();
  }
  return translate(parsed, attributes);
}
