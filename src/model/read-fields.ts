import { describeType, type Field, type FieldType } from "./socket-fields.js";

/** A value read as its table entry says, or why it cannot be: the field's path, what it should be, and what it is. */
export type FieldsRead = { ok: true; value: Record<string, unknown> } | { ok: false; reason: string };
type ValueRead = { ok: true; value: unknown } | { ok: false; reason: string };

/** A value as a message quotes it: JSON, cut to 40 characters. */
export function quoteValue(v: unknown): string {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/**
 * Reads an object from parsed JSON as a field table says (SOCKET_FIELDS or one of its object tables),
 * into a fresh object: exactly the table's keys, in its order, each value checked, so keys the input adds
 * are dropped, never carried into an output. An absent field reads as null when it may be null, false
 * for true/false, [] for a list (what older output did not write yet); an absent "when-set" field stays
 * absent; any other absent field, or a value the table does not allow, is the reason it cannot be read,
 * with the field's path after `prefix`: `field "local.port" must be a whole number from 0 to 65535, not 70000`.
 */
export function readFields(fields: readonly Field[], input: unknown, prefix = ""): FieldsRead {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    return { ok: false, reason: `${prefix === "" ? "the value" : `field "${prefix.slice(0, -1)}"`} must be an object, not ${quoteValue(input)}` };
  }
  const o = input as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    const path = `${prefix}${f.name}`;
    const v = Object.hasOwn(o, f.name) ? o[f.name] : undefined;
    let r: ValueRead;
    if (v !== undefined) r = readValue(f.type, f.nullable, v, path);
    else if (f.presence === "when-set") continue;
    else if (f.nullable) r = { ok: true, value: null };
    else if (f.type.kind === "bool") r = { ok: true, value: false };
    else if (f.type.kind === "list") r = { ok: true, value: [] };
    else r = { ok: false, reason: `field "${path}" is missing` };
    if (!r.ok) return r;
    out[f.name] = r.value;
  }
  return { ok: true, value: out };
}

function readValue(t: FieldType, nullable: boolean, v: unknown, path: string): ValueRead {
  if (v === null && nullable) return { ok: true, value: null };
  const bad = (): ValueRead => ({ ok: false, reason: `field "${path}" must be ${describeType(t)}${nullable ? " or null" : ""}, not ${quoteValue(v)}` });
  switch (t.kind) {
    case "enum": return t.values.includes(v as string | number) ? { ok: true, value: v } : bad();
    case "int": return Number.isInteger(v) && (v as number) >= t.min && (v as number) <= t.max ? { ok: true, value: v } : bad();
    case "text": return typeof v === "string" && (t.pattern === undefined || t.pattern.test(v)) ? { ok: true, value: v } : bad();
    case "bool": return typeof v === "boolean" ? { ok: true, value: v } : bad();
    case "list": {
      if (!Array.isArray(v)) return bad();
      const out: unknown[] = [];
      for (let i = 0; i < v.length; i++) {
        const r = readValue(t.of, false, v[i], `${path}[${i}]`);
        if (!r.ok) return r;
        out.push(r.value);
      }
      return { ok: true, value: out };
    }
    case "object":
      if (typeof v !== "object" || v === null || Array.isArray(v)) return bad();
      return readFields(t.fields, v, `${path}.`);
  }
}
