import { z } from "zod";

const port = z.number().int().min(0).max(65535);
const names = z.array(z.string().min(1).max(64));

/** One port of the knowledge base (data/ports.json). */
export const PortEntry = z.strictObject({
  port,
  /** Last port of a range, inclusive. */
  to: port.optional(),
  proto: z.enum(["tcp", "udp", "both"]),
  name: z.string().min(1),
  what: z.string().min(10),
  owners: names,
  normal: z.enum(["desktop", "server", "both", "none"]),
  scope: z.enum(["loopback", "lan", "any"]),
  ifExposed: z.string().min(10).optional(),
}).refine((e) => e.to === undefined || e.to >= e.port, { message: "'to' must not be below 'port'", path: ["to"] });
export type PortEntry = z.infer<typeof PortEntry>;

export const PortsFile = z.strictObject({ $comment: z.string().optional(), ports: z.array(PortEntry).min(1) });
export type PortsData = z.infer<typeof PortsFile>;

/** One known-bad port, with its source and the legitimate owners that also use it. */
export const IndicatorEntry = z.strictObject({
  port,
  to: port.optional(),
  proto: z.enum(["tcp", "udp"]),
  name: z.string().min(1),
  source: z.string().min(3),
  /** Connecting out to this port is ordinary client traffic (465 is where mail programs send mail). */
  outboundIsNormal: z.boolean().optional(),
  collisions: z.array(z.strictObject({ owners: names.min(1), note: z.string().min(3) })).optional(),
});
export type IndicatorEntry = z.infer<typeof IndicatorEntry>;

const IndicatorList = z.strictObject({ title: z.string(), why: z.string(), entries: z.array(IndicatorEntry).min(1) });
export type IndicatorList = z.infer<typeof IndicatorList>;

export const IndicatorsFile = z.strictObject({ $comment: z.string().optional(), irc: IndicatorList, backdoor: IndicatorList, miner: IndicatorList });
export type IndicatorsData = z.infer<typeof IndicatorsFile>;

const regex = z.string().refine((p) => { try { new RegExp(p); return true; } catch { return false; } }, "not a valid regular expression");

export const ProgramsFile = z.strictObject({
  $comment: z.string().optional(),
  browsers: names, ircClients: names, outboundAny: names, randomUdp: names, resolvers: names, timeClients: names, miners: names, shells: names, terminals: names, streamClients: names, noSockets: names,
  miningArguments: z.array(regex).min(1),
  kernelThreadPatterns: z.array(regex),
});
export type ProgramsData = z.infer<typeof ProgramsFile>;

// --- data/interpreters.json: how shells, netcats and interpreters read their command line ---

/** What an option's argument is (see the $comment of data/interpreters.json). */
const ROLES_WITH_ARGUMENT = ["code", "main-module", "module", "script", "exec", "server", "value"] as const;
const OptionRole = z.enum([...ROLES_WITH_ARGUMENT, "builtin", "stdin", "interactive", "switch"]);

/** One option (or several spellings of it) of a program's command line. */
export const GrammarOption = z.strictObject({
  flags: z.array(z.string().regex(/^(-{1,2}|\+)[^\s=]+$/, "a flag starts with -, -- or + and has no space or '='")).min(1),
  role: OptionRole,
  /** How it takes its argument: none, required (glued, else the next argument), next, glued, optional-glued, operand, rest. */
  arg: z.enum(["none", "required", "next", "glued", "optional-glued", "operand", "rest"]),
  /** For optional-glued and glued: how much of the rest of the cluster the argument takes (else all of it). */
  pattern: regex.optional(),
  /** For "words" programs: the shortest abbreviation accepted (pwsh -e for -EncodedCommand). */
  shortest: z.string().min(2).optional(),
  /** The options end with this one: what follows is for the program (python -c, -m). */
  ends: z.boolean().optional(),
  /** An argument "-" means standard input (pwsh -Command -, -File -). */
  dashIsStdin: z.boolean().optional(),
}).superRefine((o, ctx) => {
  const needs = (ROLES_WITH_ARGUMENT as readonly string[]).includes(o.role);
  if (needs && o.arg === "none") ctx.addIssue({ code: "custom", path: ["arg"], message: `a "${o.role}" option takes an argument: "none" is not allowed` });
  if ((o.role === "stdin" || o.role === "interactive") && o.arg !== "none") ctx.addIssue({ code: "custom", path: ["arg"], message: `a "${o.role}" option takes no argument: only "none" is allowed` });
  if (o.arg === "operand" && o.role !== "code") ctx.addIssue({ code: "custom", path: ["arg"], message: `"operand" is only for code flags whose code is the first operand (sh -c)` });
  if (o.pattern !== undefined && o.arg !== "optional-glued" && o.arg !== "glued") ctx.addIssue({ code: "custom", path: ["pattern"], message: `a pattern needs arg "glued" or "optional-glued"` });
  const first = o.flags[0] ?? "";
  if (o.shortest !== undefined && !first.toLowerCase().startsWith(o.shortest.toLowerCase())) ctx.addIssue({ code: "custom", path: ["shortest"], message: `"${o.shortest}" is not an abbreviation of "${first}"` });
});
export type GrammarOption = z.infer<typeof GrammarOption>;

/** A server a program starts from its command line alone (python3 -m http.server, ruby -run -e httpd, php -S). */
export const QuickServer = z.strictObject({
  /** The module run as the program (python -m). */
  mainModule: z.string().min(1).optional(),
  /** A module loaded first, with the exact code run (ruby -r un -e httpd). */
  module: z.string().min(1).optional(),
  code: z.string().min(1).optional(),
  /** The "server" option that starts it (php -S). */
  flag: z.string().min(2).optional(),
  what: z.string().min(3),
  risk: z.string().min(10),
}).superRefine((q, ctx) => {
  const ways = [q.mainModule !== undefined, q.module !== undefined || q.code !== undefined, q.flag !== undefined].filter(Boolean).length;
  if (ways !== 1) ctx.addIssue({ code: "custom", path: [], message: "name exactly one of: mainModule; module with code; flag" });
  else if ((q.module === undefined) !== (q.code === undefined)) ctx.addIssue({ code: "custom", path: [q.module === undefined ? "module" : "code"], message: "module and code go together" });
});
export type QuickServer = z.infer<typeof QuickServer>;

/** The command-line grammar of a family of programs. */
export const GrammarEntry = z.strictObject({
  kind: z.enum(["interpreter", "shell", "netcat", "server", "multicall"]),
  names: names.min(1),
  /** Where the grammar comes from: the man page, --help, the parser's source. */
  source: z.string().min(20),
  style: z.enum(["getopt", "words"]),
  clusters: z.boolean(),
  /** Plain single-letter switches that may stand in a cluster with others (-Ic, -le, -ic). */
  switches: z.string().regex(/^[A-Za-z0-9]*$/, "letters and digits only").optional(),
  /** +x clusters are options too (sh +o, +x). */
  plusOptions: z.boolean().optional(),
  /** Options may follow operands (GNU getopt's permutation: nc HOST PORT -e /bin/sh). */
  permute: z.boolean().optional(),
  caseInsensitive: z.boolean().optional(),
  /** For "words" programs: what may lead an option word. */
  wordPrefixes: z.array(z.enum(["--", "-", "/"])).min(1).optional(),
  unknownOption: z.enum(["switch", "script", "end"]),
  firstOperand: z.enum(["script", "code", "args"]),
  dash: z.enum(["stdin", "end", "operand"]),
  doubleDash: z.enum(["operands", "args"]),
  noProgram: z.enum(["stdin", "nothing"]),
  options: z.array(GrammarOption),
  subcommands: z.record(z.string().regex(/^[a-z][a-z-]*$/), z.enum(["code", "script", "interactive", "other"])).optional(),
  /** For a multicall program (busybox): applet name → the family whose grammar it has. */
  applets: z.record(z.string().regex(/^[a-z0-9][a-z0-9._-]*$/), z.string()).optional(),
  quickServers: z.array(QuickServer).optional(),
  /** The exact one-liners the language's own library runs with its code flag (python -c 'from multiprocessing.spawn import spawn_main; …'). */
  knownCode: z.array(z.strictObject({
    pattern: regex.refine((p) => p.startsWith("^") && p.endsWith("$"), "must match the whole code: start with ^ and end with $"),
    what: z.string().min(10),
    source: z.string().min(20),
  })).optional(),
}).superRefine((g, ctx) => {
  if (g.style === "words" && g.clusters) ctx.addIssue({ code: "custom", path: ["clusters"], message: `"words" programs have no clusters` });
  if (g.style === "words" && g.wordPrefixes === undefined) ctx.addIssue({ code: "custom", path: ["wordPrefixes"], message: `"words" programs need wordPrefixes` });
  if ((g.kind === "multicall") !== (g.applets !== undefined)) ctx.addIssue({ code: "custom", path: ["applets"], message: "applets are for, and only for, a multicall program" });
  const seen = new Map<string, string>();
  for (const [i, c] of [...(g.switches ?? "")].entries()) {
    if (seen.has(`-${c}`)) ctx.addIssue({ code: "custom", path: ["switches"], message: `"${c}" is listed twice` });
    seen.set(`-${c}`, `switches[${i}]`);
  }
  g.options.forEach((o, i) => o.flags.forEach((f, j) => {
    const key = g.caseInsensitive ? f.toLowerCase() : f;
    const had = seen.get(key);
    if (had !== undefined) ctx.addIssue({ code: "custom", path: ["options", i, "flags", j], message: `"${f}" is also ${had}` });
    seen.set(key, `options.${i}.flags.${j}`);
  }));
  g.quickServers?.forEach((q, i) => {
    if (q.flag !== undefined && !g.options.some((o) => o.role === "server" && o.flags.includes(q.flag as string))) {
      ctx.addIssue({ code: "custom", path: ["quickServers", i, "flag"], message: `"${q.flag}" is not a "server" option of this program` });
    }
  });
});
export type GrammarEntry = z.infer<typeof GrammarEntry>;

export const InterpretersFile = z.strictObject({
  $comment: z.string().optional(),
  families: z.record(z.string().regex(/^[a-z][a-z0-9-]*$/), GrammarEntry),
}).superRefine((d, ctx) => {
  const owner = new Map<string, string>();
  for (const [id, g] of Object.entries(d.families)) {
    g.names.forEach((n, i) => {
      const had = owner.get(n);
      if (had !== undefined) ctx.addIssue({ code: "custom", path: ["families", id, "names", i], message: `"${n}" is already a name of "${had}"` });
      owner.set(n, id);
    });
    for (const [applet, to] of Object.entries(g.applets ?? {})) {
      const target = d.families[to];
      if (target === undefined || target.kind === "multicall") ctx.addIssue({ code: "custom", path: ["families", id, "applets", applet], message: `"${to}" is not a family of this file (one that is not itself multicall)` });
    }
  }
});
export type InterpretersData = z.infer<typeof InterpretersFile>;

/** Validates a knowledge file's parsed JSON; a problem becomes an error naming the file, the field path and what is allowed. */
export function validateKnowledge<T>(schema: z.ZodType<T>, data: unknown, file: string): T {
  const r = schema.safeParse(data);
  if (r.success) return r.data;
  const lines = r.error.issues.slice(0, 5).map((i) => `${i.path.length ? i.path.join(".") : "(top)"}: ${i.message}`);
  throw new Error(`Cannot load knowledge file "${file}": ${lines.join("; ")}`);
}

/** Validates the four knowledge files; a problem is an error naming the file, the field and what is allowed. */
export function validateKnowledgeData(data: { ports: unknown; indicators: unknown; programs: unknown; interpreters: unknown }): { ports: PortsData; indicators: IndicatorsData; programs: ProgramsData; interpreters: InterpretersData } {
  return {
    ports: validateKnowledge(PortsFile, data.ports, "ports.json"),
    indicators: validateKnowledge(IndicatorsFile, data.indicators, "indicators.json"),
    programs: validateKnowledge(ProgramsFile, data.programs, "programs.json"),
    interpreters: validateKnowledge(InterpretersFile, data.interpreters, "interpreters.json"),
  };
}
