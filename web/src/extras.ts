// Consents and segments are not in omnid's API yet (graphql/schema.graphql). The page has
// a place for them that renders only when the schema offers such a field on Person:
// found by introspection at sign-in, selected by their own leaf fields, shown as they
// come. Nothing is invented: no field is asked for that the schema does not list.
import type { Api } from './api';
import { PERSON_FIELDS, TYPE_FIELDS, type FieldInfo, type TypeRef } from './queries';

/** Person fields the page shows in its "Consents and segments" place when they exist. */
export const OPTIONAL_PERSON_FIELDS = ['consents', 'segments'] as const;

export interface Extra {
  name: string;
  /** The GraphQL selection for it, e.g. `consents { purpose channel granted }`. */
  selection: string;
}

function named(type: TypeRef): TypeRef {
  let current: TypeRef = type;
  while ((current.kind === 'NON_NULL' || current.kind === 'LIST') && current.ofType) {
    current = current.ofType;
  }
  return current;
}

const LEAF = new Set(['SCALAR', 'ENUM']);

interface TypeFields {
  __type: { fields: (FieldInfo & { args?: { name: string }[] })[] | null } | null;
}

/** The optional fields this omnid offers, with a selection for each (none when
 * introspection is off or the fields do not exist). */
export async function discoverExtras(api: Api): Promise<Extra[]> {
  let person: TypeFields;
  try {
    person = await api.data<TypeFields>(PERSON_FIELDS);
  } catch {
    return []; // introspection disabled: the place stays empty
  }
  const found: Extra[] = [];
  for (const field of person.__type?.fields ?? []) {
    if (!(OPTIONAL_PERSON_FIELDS as readonly string[]).includes(field.name)) continue;
    const type = named(field.type);
    if (LEAF.has(type.kind)) {
      found.push({ name: field.name, selection: field.name });
      continue;
    }
    if (type.kind !== 'OBJECT' || !type.name) continue;
    try {
      const inner = await api.data<TypeFields>(TYPE_FIELDS, { name: type.name });
      const leaves = (inner.__type?.fields ?? [])
        .filter((f) => LEAF.has(named(f.type).kind) && !(f.args && f.args.length))
        .map((f) => f.name);
      if (leaves.length) found.push({ name: field.name, selection: `${field.name} { ${leaves.join(' ')} }` });
    } catch {
      // leave it out
    }
  }
  return found;
}
