import type { Proto } from "../model/socket.js";
import indicatorsJson from "./data/indicators.json" with { type: "json" };
import portsJson from "./data/ports.json" with { type: "json" };
import programsJson from "./data/programs.json" with { type: "json" };
import type { IndicatorEntry, IndicatorsData, PortEntry, PortsData, ProgramsData } from "./schema.js";

/** A known-bad port found for a socket, with the list it comes from. */
export interface IndicatorHit {
  list: "irc" | "backdoor" | "miner";
  title: string;
  why: string;
  entry: IndicatorEntry;
}

/** Everything portwatch knows about ports and programs, validated and indexed. */
export interface Knowledge {
  /** The knowledge entry of a port, or null. */
  port(port: number, proto: Proto): PortEntry | null;
  /** The known-bad lists a port is on. */
  indicators(port: number, proto: Proto): readonly IndicatorHit[];
  /** Whether a program name (comm or executable file name) belongs to a group of programs.json. */
  is(group: ProgramGroup, name: string | null): boolean;
  /** Whether a name looks like a kernel thread's (kworker/0:1, [kthreadd], ...). */
  looksLikeKernelThread(name: string | null): boolean;
  /** Every port entry (for `portwatch explain NAME`). */
  readonly entries: readonly PortEntry[];
}

export type ProgramGroup = "browsers" | "ircClients" | "outboundAny" | "randomUdp" | "shells" | "netcats" | "interpreters" | "terminals";

function covers(e: { port: number; to?: number | undefined }, port: number): boolean {
  return port >= e.port && port <= (e.to ?? e.port);
}

/** The knowledge files that ship with portwatch (checked against schema.ts by `npm run build` and the tests). */
export const BUILT_IN = { ports: portsJson, indicators: indicatorsJson, programs: programsJson } as unknown as KnowledgeData;

/** The three knowledge files, parsed and validated (see validateKnowledgeData in schema.ts). */
export interface KnowledgeData {
  ports: PortsData;
  indicators: IndicatorsData;
  programs: ProgramsData;
}

/**
 * Indexes knowledge data for lookups. The built-in files are validated when portwatch is built (zod
 * costs 90 ms to load, too much for every run); other data must go through validateKnowledgeData first.
 */
export function createKnowledge(data: KnowledgeData = BUILT_IN): Knowledge {
  const ports = data.ports.ports;
  const indicators = data.indicators;
  const programs = data.programs;
  const single = new Map<string, PortEntry>();
  const ranges: PortEntry[] = [];
  for (const e of ports) {
    if (e.to !== undefined) { ranges.push(e); continue; }
    for (const p of e.proto === "both" ? ["tcp", "udp"] : [e.proto]) {
      const key = `${e.port}/${p}`;
      if (!single.has(key)) single.set(key, e);
    }
  }
  const groups = new Map<string, Set<string>>(Object.entries(programs).filter(([, v]) => Array.isArray(v)).map(([k, v]) => [k, new Set(v as string[])]));
  const kernelPatterns = programs.kernelThreadPatterns.map((p) => new RegExp(p));
  // Index the known-bad lists by "port/proto" (ranges are short), so a lookup is one Map get.
  const byPort = new Map<string, IndicatorHit[]>();
  for (const id of ["irc", "backdoor", "miner"] as const) {
    const list = indicators[id];
    for (const entry of list.entries) {
      for (let p = entry.port; p <= (entry.to ?? entry.port); p++) {
        const key = `${p}/${entry.proto}`;
        const hit = { list: id, title: list.title, why: list.why, entry };
        const had = byPort.get(key);
        if (had) had.push(hit); else byPort.set(key, [hit]);
      }
    }
  }
  // Lookups run for every socket: keyed by number (port * 2 + udp), no string building.
  const portCache = new Map<number, PortEntry | null>();
  const indicatorCache = new Map<number, readonly IndicatorHit[]>();
  const NO_HITS: readonly IndicatorHit[] = Object.freeze([]);
  return {
    port(port, proto) {
      if (proto === "raw") return null;
      const n = port * 2 + (proto === "udp" ? 1 : 0);
      let hit = portCache.get(n);
      if (hit === undefined) {
        hit = single.get(`${port}/${proto}`) ?? ranges.find((e) => covers(e, port) && (e.proto === "both" || e.proto === proto)) ?? null;
        portCache.set(n, hit);
      }
      return hit;
    },
    indicators(port, proto) {
      if (proto === "raw") return NO_HITS;
      const n = port * 2 + (proto === "udp" ? 1 : 0);
      let hits = indicatorCache.get(n);
      if (hits === undefined) {
        hits = byPort.get(`${port}/${proto}`) ?? NO_HITS;
        indicatorCache.set(n, hits);
      }
      return hits;
    },
    is(group, name) {
      return name !== null && (groups.get(group)?.has(name) ?? false);
    },
    looksLikeKernelThread(name) {
      return name !== null && kernelPatterns.some((r) => r.test(name));
    },
    entries: ports,
  };
}
