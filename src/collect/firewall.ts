import { execFile } from "node:child_process";
import { networkInterfaces } from "node:os";
import type { NetInterface, Ruleset } from "../model/firewall.js";
import type { Socket } from "../model/socket.js";
import { nativeAddon } from "./native.js";
import { parseNetnsLink } from "./parse/proc-pid.js";
import { tryRead, tryReadlink } from "./proc-files.js";
import { interfacesFromIfaddrs, interfacesFromNode, mergeFirewall, parseIpAddrJson } from "./parse/firewall-merge.js";
import { parseIptablesSave, type IptablesParse } from "./parse/iptables-save.js";
import { parseNftJson, type NftParse } from "./parse/nft-json.js";
import { parseNftNetlink } from "./parse/nft-netlink.js";

/*
 * Reads a network namespace's firewall and interfaces, without changing anything: nftables over netlink through
 * the addon (nftDump, decoded by parse/nft-netlink.ts; `nft -j list ruleset` when there is no addon or that
 * read fails), `ip -j addr show` (for our own namespace, Node's os.networkInterfaces() instead), and when needed
 * `iptables-save`, `ip6tables-save` and their -legacy- forms (see readFirewall). Each program runs with a fixed
 * argument list, no shell; another namespace is entered with `nsenter --net=<proc>/<pid>/ns/net --` (root only),
 * or by the addon's thread that joins it (setns). Parsing is in parse/.
 */

/** A namespace's firewall as read: null ruleset when no tool could be read (`problem` says why). */
export interface FirewallView {
  ruleset: Ruleset | null;
  interfaces: NetInterface[];
  /** Why the ruleset could not be read, in words; null when it was. */
  problem: string | null;
  /** Problems of the parsers, as lines. */
  notes: string[];
}

interface Run { ok: boolean; stdout: string; stderr: string; missing: boolean; error: string }

const TIMEOUT_MS = 5000;

function run(prefix: readonly string[], argv: readonly string[]): Promise<Run> {
  const [file, ...args] = [...prefix, ...argv];
  return new Promise((resolve) => {
    execFile(file!, args, { timeout: TIMEOUT_MS, maxBuffer: 64 << 20, encoding: "utf8", env: { ...process.env, LC_ALL: "C" } }, (err, stdout, stderr) => {
      if (err === null) { resolve({ ok: true, stdout, stderr: String(stderr), missing: false, error: "" }); return; }
      const code = (err as NodeJS.ErrnoException).code;
      const text = String(stderr).trim().split("\n")[0] ?? "";
      // nsenter reports a missing program as "failed to execute nft: No such file or directory" (and a missing
      // namespace file as "cannot open …": not a missing program)
      const missing = code === "ENOENT" || /failed to execute/.test(text);
      resolve({ ok: false, stdout: "", stderr: String(stderr), missing, error: text || err.message });
    });
  });
}

/** The namespace's /proc net directory for a namespace file "<proc>/<pid>/ns/net"; our own for none; null when not known. */
function netDirOf(nsFile: string | undefined): string | null {
  if (nsFile === undefined) return "/proc/self/net";
  const m = /^(.*)\/ns\/net$/.exec(nsFile);
  return m ? `${m[1]}/net` : null;
}

/** nftables read over netlink by the addon: the parse, or why it could not be read (null: no addon with nftDump). */
async function readNftNetlink(nsFile: string | undefined): Promise<{ parse: NftParse & { xt: boolean }; interfaces: NetInterface[] | null } | { error: string } | null> {
  const addon = nativeAddon();
  if (addon?.nftDump === undefined) return null;
  try {
    const dump = await addon.nftDump(nsFile);
    return { parse: parseNftNetlink(dump), interfaces: dump.addrs == null ? null : interfacesFromIfaddrs(dump.addrs) };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

/**
 * Reads the firewall of the namespace `nsFile` names (`/proc/<pid>/ns/net`), or of our own when undefined.
 * nftables over netlink (the addon) and ip run first, in parallel; `nft -j list ruleset` only when the addon is
 * missing or its read failed (a note says why); iptables-save and ip6tables-save only when nftables could not
 * be read or shows iptables-nft's opaque "xt" expressions, and the -legacy- forms only when the namespace's
 * ip_tables_names / ip6_tables_names list legacy tables (fewer programs to start: they are most of the cost).
 * Never throws: what could not be read is in `problem`.
 */
export async function readFirewall(nsFile?: string): Promise<FirewallView> {
  const prefix = nsFile === undefined ? [] : ["nsenter", `--net=${nsFile}`, "--"];
  const netDir = netDirOf(nsFile);
  // our own namespace's interfaces from getifaddrs (os.networkInterfaces): one program fewer to start
  const own = nsFile === undefined ? interfacesFromNode(networkInterfaces()) : null;
  const done: Run = { ok: true, stdout: "", stderr: "", missing: false, error: "" };
  // the addon's thread reads the namespace's interfaces too (getifaddrs): ip runs only when it could not
  const netlink = await readNftNetlink(nsFile);
  const read = netlink !== null && "parse" in netlink ? netlink : null;
  const fromAddon = read?.interfaces ?? null;
  const [nft, addr] = await Promise.all([read !== null ? done : run(prefix, ["nft", "-j", "list", "ruleset"]),
    own !== null || fromAddon !== null ? done : run(prefix, ["ip", "-j", "addr", "show"])]);
  const notes: string[] = [];
  if (netlink !== null && "error" in netlink) notes.push(`nftables over netlink: ${netlink.error}; read with nft -j list ruleset instead`);
  const nftParse: NftParse | null = read !== null ? read.parse : nft.ok ? parseNftJson(nft.stdout) : null;
  const wantSave = read !== null ? read.parse.xt : !nft.ok || nft.stdout.includes('"xt":');
  const legacy = (file: string): boolean => netDir === null || (tryRead(`${netDir}/${file}`) ?? "").trim() !== "";
  const jobs: [Promise<Run>, 4 | 6, string][] = [];
  if (wantSave) jobs.push([run(prefix, ["iptables-save"]), 4, "iptables-save"], [run(prefix, ["ip6tables-save"]), 6, "ip6tables-save"]);
  if (legacy("ip_tables_names")) jobs.push([run(prefix, ["iptables-legacy-save"]), 4, "iptables-legacy-save"]);
  if (legacy("ip6_tables_names")) jobs.push([run(prefix, ["ip6tables-legacy-save"]), 6, "ip6tables-legacy-save"]);
  const iptables: IptablesParse[] = [];
  let ipt4: Run | null = null;
  for (const [job, family, name] of jobs) {
    const r = await job;
    if (name === "iptables-save") ipt4 = r;
    if (!r.ok) { if (!r.missing && name.includes("legacy")) notes.push(`${name}: ${r.error}`); continue; }
    const parsed = parseIptablesSave(r.stdout, family, name);
    // iptables-save on a legacy-only system prints the legacy tables, which the -legacy-save run also gives
    if (name.includes("legacy") && iptables.some((i) => i.backend === "legacy" && i.tables.some((t) => t.family === (family === 4 ? "ip" : "ip6")))) continue;
    iptables.push(parsed);
  }
  for (const p of [...(nftParse?.problems ?? []), ...iptables.flatMap((i) => i.problems)]) notes.push(`${p.source}${p.line === null ? "" : `:${p.line}`}: ${p.reason}`);
  const interfaces = own ?? fromAddon ?? (addr.ok ? parseIpAddrJson(addr.stdout) : []);
  if (nftParse === null && iptables.length === 0) {
    const denied = /not permitted|permission denied/i;
    const problem = nft.missing && (ipt4 === null || ipt4.missing) ? "neither nft nor iptables-save is installed"
      : denied.test(nft.error) || (nft.missing && denied.test(ipt4?.error ?? "")) ? "permission denied (it takes root)"
      : `nft: ${nft.error || "no output"}${ipt4 === null ? "" : `; iptables-save: ${ipt4.error || "no output"}`}`;
    return { ruleset: null, interfaces, problem, notes };
  }
  if (!addr.ok) notes.push(`ip -j addr show: ${addr.error} (the interfaces are not known)`);
  return { ruleset: mergeFirewall(nftParse, iptables), interfaces, problem: null, notes };
}

/**
 * The nftables generation of a namespace (our own when `nsFile` is undefined), through the addon's
 * NFT_MSG_GETGEN: it moves with every change of the nf_tables ruleset (iptables-nft's included, not
 * iptables-legacy's). null when not known (no addon, no right to ask, a namespace gone).
 */
export function firewallStamp(nsFile?: string): number | null {
  const addon = nativeAddon();
  if (addon?.nftGenId === undefined) return null;
  try { return addon.nftGenId(nsFile); } catch { return null; }
}

/**
 * The firewalls a watcher read, by namespace, with the nftables generation each was read at: a later look
 * reads a namespace again only when its generation moved (readFirewalls), and a look of an unchanged host
 * asks `firewallsMoved` whether any did. Interfaces and iptables-legacy rules are read again with them, not
 * on their own changes.
 */
export type FirewallCache = Map<number | null, { stamp: number; nsFile: string | undefined; view: FirewallView }>;

/** Whether the nftables generation of a namespace in `cache` moved since it was read (one small netlink request each). */
export function firewallsMoved(cache: FirewallCache): boolean {
  for (const { stamp, nsFile } of cache.values()) {
    const now = firewallStamp(nsFile);
    if (now !== null && now !== stamp) return true;
  }
  return false;
}

/** The network namespace we run in, from `<procRoot>/self/ns/net`. */
function ownNetns(procRoot: string): number | null {
  return parseNetnsLink(tryReadlink(`${procRoot}/self/ns/net`) ?? "");
}

/**
 * The firewall of each network namespace that has one of `listeners` (tcp and udp), read in parallel:
 * our own directly, the others through a pid that holds one of its listeners. Keyed by netns inode (null:
 * sockets whose namespace is not known, read as our own). `ownView`: our own namespace's, already started
 * (it needs no listener, so the caller can start it beside the collection). `cache` (a watcher's): a
 * namespace whose nftables generation has not moved since it was read is not read again.
 */
export async function readFirewalls(listeners: readonly Socket[], procRoot = "/proc", ownView?: Promise<FirewallView>, cache?: FirewallCache): Promise<Map<number | null, FirewallView>> {
  const own = ownNetns(procRoot);
  const pidOf = new Map<number | null, number | null>();
  for (const s of listeners) {
    if (s.proto === "raw" || s.direction !== "listening") continue;
    const ns = s.netns === own ? null : s.netns;
    if (pidOf.get(ns) == null) pidOf.set(ns, s.process?.pid ?? s.sharedWith[0]?.pid ?? null);
  }
  const out = new Map<number | null, FirewallView>();
  await Promise.all([...pidOf].map(async ([ns, pid]) => {
    const nsFile = ns === null ? undefined : pid === null ? null : `${procRoot}/${pid}/ns/net`;
    // the generation first: a change while nft reads is seen at the next look
    const stamp = cache !== undefined && nsFile !== null ? firewallStamp(nsFile) : null;
    const kept = cache?.get(ns);
    const view = stamp !== null && kept !== undefined && kept.stamp === stamp ? kept.view
      : ns === null ? await (ownView ?? readFirewall())
      : nsFile === null ? { ruleset: null, interfaces: [], problem: "no process of that network namespace is known to enter it", notes: [] }
      : await readFirewall(nsFile);
    if (cache !== undefined && stamp !== null && nsFile !== null && view.ruleset !== null) cache.set(ns, { stamp, nsFile, view });
    out.set(ns, view);
    if (ns === null && own !== null) out.set(own, view);
  }));
  if (cache !== undefined) for (const ns of cache.keys()) if (!pidOf.has(ns)) cache.delete(ns);   // namespaces without listeners now
  return out;
}
