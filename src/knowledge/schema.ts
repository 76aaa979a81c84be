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

export const ProgramsFile = z.strictObject({
  $comment: z.string().optional(),
  browsers: names, ircClients: names, outboundAny: names, randomUdp: names, shells: names, netcats: names, interpreters: names, terminals: names,
  kernelThreadPatterns: z.array(z.string().refine((p) => { try { new RegExp(p); return true; } catch { return false; } }, "not a valid regular expression")),
});
export type ProgramsData = z.infer<typeof ProgramsFile>;

/** Validates a knowledge file's parsed JSON; a problem becomes an error naming the file, the field path and what is allowed. */
export function validateKnowledge<T>(schema: z.ZodType<T>, data: unknown, file: string): T {
  const r = schema.safeParse(data);
  if (r.success) return r.data;
  const lines = r.error.issues.slice(0, 5).map((i) => `${i.path.length ? i.path.join(".") : "(top)"}: ${i.message}`);
  throw new Error(`Cannot load knowledge file "${file}": ${lines.join("; ")}`);
}

/** Validates the three knowledge files; a problem is an error naming the file, the field and what is allowed. */
export function validateKnowledgeData(data: { ports: unknown; indicators: unknown; programs: unknown }): { ports: PortsData; indicators: IndicatorsData; programs: ProgramsData } {
  return {
    ports: validateKnowledge(PortsFile, data.ports, "ports.json"),
    indicators: validateKnowledge(IndicatorsFile, data.indicators, "indicators.json"),
    programs: validateKnowledge(ProgramsFile, data.programs, "programs.json"),
  };
}
