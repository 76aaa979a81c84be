import { portKey } from "../model/protocol.js";
import type { Proto } from "../model/socket.js";
import indicatorsJson from "./data/indicators.json" with { type: "json" };
import portsJson from "./data/ports.json" with { type: "json" };
import programsJson from "./data/programs.json" with { type: "json" };
import interpretersJson from "./data/interpreters.json" with { type: "json" };
import type { GrammarEntry, GrammarOption, IndicatorEntry, IndicatorsData, InterpretersData, PortEntry, PortsData, ProgramsData } from "./schema.js";

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
  /** The first argument only a cryptocurrency miner takes (stratum+tcp://…, --donate-level, a Monero wallet), or an option with its value in the next argument ("--algo rx/0", "-u 0x…"); null when none. */
  miningArgument(args: readonly string[]): string | null;
  /** Whether a name looks like a kernel thread's (kworker/0:1, [kthreadd], ...). */
  looksLikeKernelThread(name: string | null): boolean;
  /** Every port entry (for `portwatch explain NAME`). */
  readonly entries: readonly PortEntry[];
  /**
   * The command-line grammar (data/interpreters.json) of a program, by a name it goes by: comm, or the
   * file name of its executable or argv[0]. Version suffixes are stripped (python3.11 → python3,
   * perl5.36.0 → perl, luajit-2.1.0-beta3 → luajit), and ".exe". Null for any other program.
   */
  grammarOf(program: string | null): Grammar | null;
  /** A grammar by its family id (what a busybox applet points to). */
  grammar(id: string): Grammar | null;
  /**
   * The program names portwatch knows (ports' usual owners, programs.json groups, interpreters) that
   * start with `prefix`: what a name cut by a capture tool ("avahi-dae", lsof's 9 characters) may be.
   */
  namesStartingWith(prefix: string): readonly string[];
}

export type ProgramGroup = "browsers" | "ircClients" | "outboundAny" | "randomUdp" | "resolvers" | "timeClients" | "miners" | "shells" | "terminals" | "streamClients" | "noSockets";

/** One option of a grammar, ready for matching. */
export interface GrammarFlag {
  /** The option's first spelling in the data (-c, -EncodedCommand): the name messages give it. */
  flag: string;
  role: GrammarOption["role"];
  arg: GrammarOption["arg"];
  /** For optional-glued and glued: how much of the cluster's rest the argument takes, anchored; null: all of it. */
  pattern: RegExp | null;
  ends: boolean;
  dashIsStdin: boolean;
  /** For "words" programs: the spelling without its dash (lower-case when case does not matter), and the shortest abbreviation's length. */
  word: string;
  shortest: number;
}

/** The command-line grammar of a family of programs (data/interpreters.json), indexed for readCommandLine. */
export interface Grammar extends Omit<GrammarEntry, "options" | "knownCode"> {
  id: string;
  /** The standard library's own one-liners, compiled. */
  knownCode: readonly { pattern: RegExp; what: string }[];
  /** getopt programs: every spelling (-c, --eval, +o; each switch letter) → its option. */
  flags: ReadonlyMap<string, GrammarFlag>;
  /** words programs: the options in the order the program tries them. */
  words: readonly GrammarFlag[];
}

function covers(e: { port: number; to?: number | undefined }, port: number): boolean {
  return port >= e.port && port <= (e.to ?? e.port);
}

/** The knowledge files that ship with portwatch (checked against schema.ts by `npm run build` and the tests). */
export const BUILT_IN = { ports: portsJson, indicators: indicatorsJson, programs: programsJson, interpreters: interpretersJson } as unknown as KnowledgeData;

/** The four knowledge files, parsed and validated (see validateKnowledgeData in schema.ts). */
export interface KnowledgeData {
  ports: PortsData;
  indicators: IndicatorsData;
  programs: ProgramsData;
  interpreters: InterpretersData;
}

/** Indexes one family's grammar: a map of spellings for getopt programs, an ordered list for words programs. */
function compileGrammar(id: string, entry: GrammarEntry): Grammar {
  const { options, knownCode, ...rest } = entry;
  const flags = new Map<string, GrammarFlag>();
  const words: GrammarFlag[] = [];
  const fold = (w: string) => (entry.caseInsensitive ? w.toLowerCase() : w);
  for (const c of entry.switches ?? "") {
    flags.set(`-${c}`, { flag: `-${c}`, role: "switch", arg: "none", pattern: null, ends: false, dashIsStdin: false, word: c, shortest: 1 });
  }
  for (const o of options) {
    const first = o.flags[0] as string;
    for (const spelling of o.flags) {
      const word = fold(spelling.replace(/^-/, ""));
      const f: GrammarFlag = {
        flag: first, role: o.role, arg: o.arg, pattern: o.pattern === undefined ? null : new RegExp(`^(?:${o.pattern})`),
        ends: o.ends ?? false, dashIsStdin: o.dashIsStdin ?? false, word,
        shortest: o.shortest === undefined || spelling !== first ? word.length : o.shortest.replace(/^-/, "").length,
      };
      flags.set(fold(spelling), f);
      words.push(f);
    }
  }
  // A words program tries "--" before "-" (pwsh strips either).
  const wordPrefixes = entry.wordPrefixes ? [...entry.wordPrefixes].sort((a, b) => b.length - a.length) : undefined;
  return {
    ...rest, ...(wordPrefixes ? { wordPrefixes } : {}), id, flags, words,
    knownCode: (knownCode ?? []).map((k) => ({ pattern: new RegExp(k.pattern), what: k.what })),
  };
}

/** The names to look a program up by, most exact first: python3.11 → python3.11, python3, python. */
function nameCandidates(name: string): string[] {
  const n = name.replace(/\.exe$/i, "");
  return [n, n.replace(/(\.\d+)+$/, ""), n.replace(/[\d.]+$/, ""), n.replace(/-\d[\w.-]*$/, "")];
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
  const miningPatterns = programs.miningArguments.map((p) => new RegExp(p));
  const groups = new Map<string, Set<string>>(Object.entries(programs).filter(([, v]) => Array.isArray(v)).map(([k, v]) => [k, new Set(v as string[])]));
  const kernelPatterns = programs.kernelThreadPatterns.map((p) => new RegExp(p));
  const grammars = new Map<string, Grammar>(Object.entries(data.interpreters.families).map(([id, g]) => [id, compileGrammar(id, g)]));
  const grammarByName = new Map<string, Grammar>();
  for (const g of grammars.values()) for (const n of g.names) grammarByName.set(n, g);
  const grammarCache = new Map<string, Grammar | null>();
  // Every program name known, sorted, for names cut by a capture tool (namesStartingWith).
  const allNames = [...new Set([
    ...ports.flatMap((e) => e.owners), ...[...groups.values()].flatMap((g) => [...g]), ...grammarByName.keys(),
  ])].filter((n) => n !== "kernel").sort();
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
  // Lookups run for every socket: keyed by number (portKey), no string building.
  const portCache = new Map<number, PortEntry | null>();
  const indicatorCache = new Map<number, readonly IndicatorHit[]>();
  const NO_HITS: readonly IndicatorHit[] = Object.freeze([]);
  return {
    port(port, proto) {
      if (proto === "raw") return null;
      const n = portKey(port, proto);
      let hit = portCache.get(n);
      if (hit === undefined) {
        hit = single.get(`${port}/${proto}`) ?? ranges.find((e) => covers(e, port) && (e.proto === "both" || e.proto === proto)) ?? null;
        portCache.set(n, hit);
      }
      return hit;
    },
    indicators(port, proto) {
      if (proto === "raw") return NO_HITS;
      const n = portKey(port, proto);
      let hits = indicatorCache.get(n);
      if (hits === undefined) {
        hits = byPort.get(`${port}/${proto}`) ?? NO_HITS;
        indicatorCache.set(n, hits);
      }
      return hits;
    },
    namesStartingWith(prefix) {
      if (prefix === "") return [];
      let lo = 0, hi = allNames.length;
      while (lo < hi) { const mid = (lo + hi) >> 1; if ((allNames[mid] as string) < prefix) lo = mid + 1; else hi = mid; }
      const out: string[] = [];
      for (let i = lo; i < allNames.length && (allNames[i] as string).startsWith(prefix); i++) out.push(allNames[i] as string);
      return out;
    },
    is(group, name) {
      return name !== null && (groups.get(group)?.has(name) ?? false);
    },
    miningArgument(args) {
      for (let i = 0; i < args.length; i++) {
        const a = args[i] as string;
        if (miningPatterns.some((r) => r.test(a))) return a;
        // an option with its value in the next argument (--algo rx/0, -u WALLET): read as --algo=rx/0
        const next = args[i + 1];
        if (next !== undefined && a.startsWith("-") && !a.includes("=") && miningPatterns.some((r) => r.test(`${a}=${next}`))) return `${a} ${next}`;
      }
      return null;
    },
    looksLikeKernelThread(name) {
      return name !== null && kernelPatterns.some((r) => r.test(name));
    },
    entries: ports,
    grammarOf(program) {
      if (!program) return null;
      let g = grammarCache.get(program);
      if (g === undefined) {
        g = null;
        for (const n of nameCandidates(program)) { g = grammarByName.get(n) ?? null; if (g) break; }
        if (grammarCache.size < 4096) grammarCache.set(program, g);
      }
      return g;
    },
    grammar(id) {
      return grammars.get(id) ?? null;
    },
  };
}
