/**
 * A tiny JSON Schema checker for the subset report.schema.json uses (type, const, enum,
 * properties, required, additionalProperties, items, allOf, $ref to #/$defs, minimum, maximum,
 * format date-time). Enough to keep the published schema honest without a validator dependency.
 */
type Schema = Record<string, unknown> | boolean;

export function validateSchema(value: unknown, schema: Schema, root: Schema = schema, path = '$'): string[] {
  if (schema === true) return [];
  if (schema === false) return [`${path}: not allowed`];
  const s = schema;
  const errors: string[] = [];
  if (typeof s.$ref === 'string') {
    const name = /^#\/\$defs\/(.+)$/.exec(s.$ref)?.[1];
    const target = name && typeof root === 'object' ? (root.$defs as Record<string, Schema> | undefined)?.[name] : undefined;
    if (target === undefined) return [`${path}: unresolved $ref ${s.$ref}`];
    errors.push(...validateSchema(value, target, root, path));
  }
  for (const sub of (s.allOf as Schema[] | undefined) ?? []) errors.push(...validateSchema(value, sub, root, path));
  if ('const' in s && JSON.stringify(value) !== JSON.stringify(s.const)) errors.push(`${path}: expected ${JSON.stringify(s.const)}`);
  if (Array.isArray(s.enum) && !s.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) errors.push(`${path}: ${JSON.stringify(value)} not in ${JSON.stringify(s.enum)}`);
  if (s.type !== undefined) {
    const types = Array.isArray(s.type) ? (s.type as string[]) : [s.type as string];
    if (!types.some((t) => isType(value, t))) return [...errors, `${path}: expected ${types.join('|')}, got ${value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value}`];
  }
  if (typeof value === 'number') {
    if (typeof s.minimum === 'number' && value < s.minimum) errors.push(`${path}: ${value} < ${s.minimum}`);
    if (typeof s.maximum === 'number' && value > s.maximum) errors.push(`${path}: ${value} > ${s.maximum}`);
  }
  if (typeof value === 'string' && s.format === 'date-time' && Number.isNaN(Date.parse(value))) errors.push(`${path}: not a date-time`);
  if (Array.isArray(value) && s.items !== undefined) value.forEach((v, i) => errors.push(...validateSchema(v, s.items as Schema, root, `${path}[${i}]`)));
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const obj = value as Record<string, unknown>;
    const props = (s.properties as Record<string, Schema> | undefined) ?? {};
    for (const k of (s.required as string[] | undefined) ?? []) if (!(k in obj)) errors.push(`${path}: missing ${k}`);
    for (const [k, v] of Object.entries(obj)) {
      if (k in props) errors.push(...validateSchema(v, props[k]!, root, `${path}.${k}`));
      else if (s.additionalProperties !== undefined) errors.push(...validateSchema(v, s.additionalProperties as Schema, root, `${path}.${k}`));
    }
  }
  return errors;
}

function isType(v: unknown, t: string): boolean {
  switch (t) {
    case 'object':
      return v !== null && typeof v === 'object' && !Array.isArray(v);
    case 'array':
      return Array.isArray(v);
    case 'integer':
      return Number.isInteger(v);
    case 'number':
      return typeof v === 'number' && Number.isFinite(v);
    case 'null':
      return v === null;
    default:
      return typeof v === t;
  }
}
