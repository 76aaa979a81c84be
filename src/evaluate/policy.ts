import ipaddr from "ipaddr.js";
import { isAlias, isMap, isSeq, LineCounter, parseDocument, visit, type Node } from "yaml";
import { z } from "zod";
import { InputError } from "../model/errors.js";
import type { Socket } from "../model/socket.js";
import { POLICY_OPERANDS, type PolicyOperand, type PolicyOperandSpec, type PolicyOperandType } from "../model/socket-fields.js";
import { processNames } from "./rules.js";

/*
 * A policy file (YAML): sockets it allows become expected, sockets it denies suspicious, each with the
 * user's own message. Every field of a rule must match (a list matches any of its values):
 *
 *   allow:
 *     - process.name: sshd
 *       local.port: 22
 *       because: our SSH server
 *   deny:
 *     - remote.address: [203.0.113.0/24, 198.51.100.7]
 *       because: the old C2 network from the March incident
 */

/** What a rule can say besides its operands. */
const BECAUSE = "because";

const oneOrMany = <T extends z.ZodType>(t: T) => z.union([t, z.array(t).min(1)]);
const portValue = z.union([
  z.number().int().min(0).max(65535),
  z.string().regex(/^\d{1,5}-\d{1,5}$/, "expected a port or a range like 8000-8100"),
]);
const cidr = z.string().refine((v) => {
  try { if (v.includes("/")) ipaddr.parseCIDR(v); else ipaddr.parse(v); return true; } catch { return false; }
}, "expected an IP address or a CIDR like 10.0.0.0/8");

/** An AS number: 15169, or "AS15169" (any case). */
const asnValue = z.union([
  z.number().int().min(0).max(4_294_967_295),
  z.string().regex(/^(AS)?\d{1,10}$/i, 'expected an AS number like 15169 or "AS15169"').refine((v) => Number(v.replace(/^as/i, "")) <= 4_294_967_295, 'expected an AS number like 15169 or "AS15169"'),
]);

/** The values a rule may give for an operand, by how the operand matches (SOCKET_FIELDS says which). */
function operandValues(o: PolicyOperandSpec): z.ZodType {
  switch (o.match) {
    case "one-of": return oneOrMany(z.enum(o.values as [string, ...string[]]));
    case "port": return oneOrMany(portValue);
    case "address": return oneOrMany(cidr);
    case "glob": case "words": return oneOrMany(z.string().min(1));
    case "asn": return oneOrMany(asnValue);
  }
}

/** How far aliases may expand a policy (yaml's own default, said here): beyond it the text is an alias bomb. */
const MAX_ALIAS_COUNT = 100;

/** The keys a rule may have: the operands, then "because". */
const RULE_KEYS: readonly string[] = [...POLICY_OPERANDS.map((o) => o.path), BECAUSE];

const PolicyRule = z.strictObject({
  ...Object.fromEntries(POLICY_OPERANDS.map((o) => [o.path, operandValues(o).optional()])),
  [BECAUSE]: z.string().min(1).optional(),
}).refine((r) => Object.keys(r).some((k) => k !== BECAUSE), { message: "a rule needs at least one field to match" });

const PolicyFile = z.strictObject({
  allow: z.array(PolicyRule).optional(),
  deny: z.array(PolicyRule).optional(),
}).nullable();

/** A rule as checked: each operand's values (one or a list), and the message. */
type PolicyRuleData = { [O in PolicyOperand]?: unknown } & { because?: string | undefined };

/** A compiled policy: which rule (if any) allows or denies a socket. */
export interface Policy {
  /** Where it came from, for messages. */
  source: string;
  decide(s: Socket): { decision: "allow" | "deny"; message: string; index: number } | null;
  readonly size: number;
}

function levenshtein(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) (d[0] as number[])[j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = d[i] as number[], prev = d[i - 1] as number[];
      row[j] = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return (d[a.length] as number[])[b.length] as number;
}

/** Keys longer than this get no "did you mean": the distance costs length × length, and no field name is near one. */
const SUGGEST_MAX = 64;

/** A key as messages quote it: a long one cut, with its length. */
function keyText(key: string): string {
  return key.length > SUGGEST_MAX ? `${key.slice(0, SUGGEST_MAX)}..." (${key.length} characters)` : `${key}"`;
}

function suggest(word: string, options: readonly string[]): string {
  if (word.length > SUGGEST_MAX) return ` (allowed: ${options.join(", ")})`;
  const best = options.map((o) => [o, levenshtein(word, o)] as const).sort((x, y) => x[1] - y[1])[0];
  return best && best[1] <= 3 ? ` (did you mean "${best[0]}"?)` : ` (allowed: ${options.join(", ")})`;
}

/** The YAML node at a path, and for an unknown key the key's own node. */
function nodeAt(doc: ReturnType<typeof parseDocument>, path: readonly PropertyKey[], key?: string): Node | null {
  let node: unknown = doc.contents;
  for (const p of path) {
    if (isMap(node)) node = node.items.find((pair) => (pair.key as { value?: unknown } | null)?.value === p)?.value;
    else if (isSeq(node)) node = node.items[Number(p)];
    else return null;
  }
  if (key !== undefined && isMap(node)) {
    const pair = node.items.find((it) => (it.key as { value?: unknown } | null)?.value === key);
    return (pair?.key as Node | undefined) ?? null;
  }
  return (node as Node | undefined) ?? null;
}

/**
 * Parses and checks a policy file's text. Every problem is reported with line and column and what is
 * allowed; a file with problems is an InputError listing them all (at most 10).
 */
export function loadPolicy(text: string, source: string): Policy {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const at = (offset: number | undefined) => {
    if (offset === undefined) return "";
    const { line, col } = lineCounter.linePos(offset);
    return `line ${line}, column ${col}: `;
  };
  const errors: string[] = doc.errors.map((e) => `${at(e.pos[0])}${e.message.split("\n")[0]}`);
  if (errors.length === 0) {
    let data: unknown;
    try {
      data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (e) {
      // yaml refuses a document whose aliases expand too far (an "alias bomb"): say where the first alias is.
      let first: number | undefined;
      visit(doc, { Alias(_, node) { if (isAlias(node)) first = node.range?.[0]; return visit.BREAK; } });
      throw new InputError(`Cannot load policy "${source}": ${at(first)}${/alias/i.test((e as Error).message) ? `its aliases (*name) expand too far (more than ${MAX_ALIAS_COUNT} copies of a part): write the rules out, a policy needs no aliases` : (e as Error).message}`);
    }
    const r = PolicyFile.safeParse(data);
    if (!r.success) {
      for (const issue of r.error.issues) {
        const path = issue.path;
        if (issue.code === "unrecognized_keys") {
          for (const key of issue.keys) {
            const allowed = path.length === 0 ? ["allow", "deny"] : RULE_KEYS;
            errors.push(`${at(nodeAt(doc, path, key)?.range?.[0])}unknown field "${keyText(key)}${suggest(key, allowed)}`);
          }
          continue;
        }
        const node = nodeAt(doc, path);
        const where = path.length ? `${path.map(String).join(".")}: ` : "";
        // "one value or a list": say what the single value should have been, not "Invalid input".
        const inner = issue.code === "invalid_union" ? issue.errors[0]?.[0]?.message : undefined;
        errors.push(`${at(node?.range?.[0])}${where}${inner ?? issue.message}`);
      }
    } else {
      return compilePolicy(r.data ?? {}, source);
    }
  }
  throw new InputError(`Cannot load policy "${source}": ${errors.slice(0, 10).join("; ")}${errors.length > 10 ? `; and ${errors.length - 10} more` : ""}`);
}

const list = (v: unknown): unknown[] | null => (v === undefined ? null : Array.isArray(v) ? v : [v]);

function portMatcher(v: (number | string)[]): (p: number | undefined) => boolean {
  const ranges = v.map((x) => (typeof x === "number" ? [x, x] : x.split("-").map(Number)) as [number, number]);
  return (p) => p !== undefined && ranges.some(([a, b]) => p >= a && p <= b);
}

function addressMatcher(v: string[]): (a: string | undefined) => boolean {
  const nets = v.map((c) => (c.includes("/") ? ipaddr.parseCIDR(c) : (() => { const a = ipaddr.parse(c); return [a, a.kind() === "ipv4" ? 32 : 128] as [ipaddr.IPv4 | ipaddr.IPv6, number]; })()));
  return (a) => {
    if (a === undefined || !ipaddr.isValid(a)) return false;
    let addr = ipaddr.parse(a);
    if (addr.kind() === "ipv6" && (addr as ipaddr.IPv6).isIPv4MappedAddress()) addr = (addr as ipaddr.IPv6).toIPv4Address();
    return nets.some(([net, bits]) => net.kind() === addr.kind() && addr.match(net, bits));
  };
}

function globMatcher(v: string[]): (values: string[]) => boolean {
  const res = v.map((g) => new RegExp(`^${g.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`));
  return (values) => values.some((x) => res.some((r) => r.test(x)));
}

/**
 * A part of a name, or with * or ? a pattern for the whole name; case does not matter ("google" and
 * "GOOGLE*" both match "Google LLC").
 */
function wordsMatcher(v: string[]): (value: string | null | undefined) => boolean {
  const tests = v.map((w) => {
    const lower = w.toLowerCase();
    if (!/[*?]/.test(w)) return (x: string) => x.includes(lower);
    const re = new RegExp(`^${lower.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`, "s");
    return (x: string) => re.test(x);
  });
  return (value) => {
    if (value == null) return false;
    const x = value.toLowerCase();
    return tests.some((t) => t(x));
  };
}

function asnMatcher(v: (number | string)[]): (n: number | undefined) => boolean {
  const wanted = new Set(v.map((x) => (typeof x === "number" ? x : Number(x.replace(/^as/i, "")))));
  return (n) => n !== undefined && wanted.has(n);
}

/** What each match kind compares a rule's values with. */
interface MatchInput {
  "one-of": string;
  port: number | undefined;
  address: string | undefined;
  glob: string[];
  words: string | null | undefined;
  asn: number | undefined;
}

/** What each operand reads of a socket: one entry per operand of SOCKET_FIELDS (the compiler checks). */
const OPERAND_VALUE: { [O in PolicyOperandType as O["path"]]: (s: Socket) => MatchInput[O["match"]] } = {
  proto: (s) => s.proto,
  state: (s) => s.state,
  direction: (s) => s.direction,
  "local.address": (s) => s.local.address,
  "local.port": (s) => s.local.port,
  "remote.address": (s) => s.remote?.address,
  "remote.port": (s) => s.remote?.port,
  "remote.lists": (s) => s.remote?.lists?.map((l) => l.name) ?? [],
  "remote.listCategory": (s) => s.remote?.lists?.flatMap((l) => (l.category === null ? [] : [l.category])) ?? [],
  "remote.asn": (s) => s.remote?.asn?.number,
  "remote.org": (s) => s.remote?.asn?.org,
  "process.name": (s) => processNames(s.process),
  "process.exe": (s) => (s.process?.exe ? [s.process.exe] : []),
  "process.user": (s) => [s.process?.user ?? "", String(s.process?.uid ?? s.uid ?? "")].filter(Boolean),
  "reach.kind": (s) => s.reach?.kind ?? "",
};

/** One check per operand the rule gives; all must pass. */
function compileRule(r: PolicyRuleData): (s: Socket) => boolean {
  const checks: ((s: Socket) => boolean)[] = [];
  for (const o of POLICY_OPERANDS) {
    const values = list(r[o.path]);
    if (values === null) continue;
    const read = OPERAND_VALUE[o.path] as (s: Socket) => unknown;
    switch (o.match) {
      case "one-of": { const allowed = values as string[]; checks.push((s) => allowed.includes(read(s) as string)); break; }
      case "port": { const m = portMatcher(values as (number | string)[]); checks.push((s) => m(read(s) as number | undefined)); break; }
      case "address": { const m = addressMatcher(values as string[]); checks.push((s) => m(read(s) as string | undefined)); break; }
      case "glob": { const m = globMatcher(values as string[]); checks.push((s) => m(read(s) as string[])); break; }
      case "words": { const m = wordsMatcher(values as string[]); checks.push((s) => m(read(s) as string | null | undefined)); break; }
      case "asn": { const m = asnMatcher(values as (number | string)[]); checks.push((s) => m(read(s) as number | undefined)); break; }
    }
  }
  return (s) => checks.every((c) => c(s));
}

function describe(r: PolicyRuleData): string {
  return Object.entries(r).filter(([k]) => k !== BECAUSE).map(([k, v]) => `${k} ${Array.isArray(v) ? v.join("|") : v}`).join(", ");
}

function compilePolicy(data: { allow?: PolicyRuleData[] | undefined; deny?: PolicyRuleData[] | undefined }, source: string): Policy {
  const rules = [
    ...(data.deny ?? []).map((r, i) => ({ decision: "deny" as const, match: compileRule(r), message: r.because ?? `Denied by your policy (${describe(r)})`, index: i })),
    ...(data.allow ?? []).map((r, i) => ({ decision: "allow" as const, match: compileRule(r), message: r.because ?? `Allowed by your policy (${describe(r)})`, index: i })),
  ];
  return {
    source,
    size: rules.length,
    // Deny rules are checked first: a socket both allowed and denied is denied.
    decide(s) {
      for (const r of rules) if (r.match(s)) return { decision: r.decision, message: r.message, index: r.index };
      return null;
    },
  };
}
