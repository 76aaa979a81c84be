import { ADDRESS_PATTERN } from "./address.js";
import { REACH_KINDS, type PortMapping } from "./firewall.js";
import type { ProcessInfo, SharedHolder } from "./process.js";
import { DIRECTIONS, EXPOSURES, FAMILIES, HIDDEN_FROM, NONE, PROTOS, SOCKET_STATES, UNLISTED_BINDS, type Endpoint, type ListMatch, type NetworkOwner, type RemoteEndpoint, type Service, type Socket } from "./socket.js";
import { VERDICTS, type Reason } from "./verdict.js";

/*
 * Every field of a socket, described once. The order is the JSON order. From this table come:
 * - the JSON writer's keys and their order (report/render-json.ts),
 * - what reading portwatch's JSON back accepts, field by field (collect/parse/portwatch-json.ts),
 * - the policy's operands, their values and the "did you mean" suggestions (evaluate/policy.ts),
 * - the Prometheus label names (serve/metrics.ts),
 * - the field reference in docs/json.md (scripts/json-doc.mjs writes it; a test checks it is current).
 * Compile-time checks at the end of this file keep the table and the Socket, ProcessInfo, Endpoint,
 * Service, SharedHolder and Reason types in step (names, null and optional fields).
 */

/** The values a field can take. */
export type FieldType =
  | { readonly kind: "enum"; readonly values: readonly (string | number)[] }
  /** A whole number from min to max. */
  | { readonly kind: "int"; readonly min: number; readonly max: number }
  /** A string; with `pattern`, one that matches it, described by `what`. */
  | { readonly kind: "text"; readonly pattern?: RegExp; readonly what?: string }
  | { readonly kind: "bool" }
  | { readonly kind: "object"; readonly fields: readonly Field[] }
  | { readonly kind: "list"; readonly of: FieldType };

/**
 * How a policy rule's values match a field: one of its words, a port or range, an address or CIDR, a
 * wildcard pattern, a part of a name or a pattern without regard to case ("words"), an AS number.
 */
export type PolicyMatch = "one-of" | "port" | "address" | "glob" | "words" | "asn";

/** The Prometheus metrics of `portwatch serve` that have labels. */
export type MetricName = "portwatch_sockets" | "portwatch_listeners" | "portwatch_suspicious_sockets";

export interface Field {
  /** The key, in the object and in JSON. */
  readonly name: string;
  readonly type: FieldType;
  /** null is one of its values ("unknown" or "none": never -1 or ""). */
  readonly nullable: boolean;
  /** "always" present; "when-set": absent from the object, and from the JSON, unless there is something to say. */
  readonly presence: "always" | "when-set";
  /** One object or list shared by many sockets: replaced, never changed in place (the JSON writer serializes it once). */
  readonly shared?: true;
  /** What it means, in one line. */
  readonly description: string;
  /**
   * A policy rule can match it. The operand is the field's dotted path ("process.name"), or `path` when
   * given: a shorter name for a field inside an object or a list's items ("remote.org", "remote.listCategory").
   */
  readonly policy?: { readonly match: PolicyMatch; readonly how: string; readonly path?: string };
  /** A Prometheus label of these metrics. */
  readonly metric?: { readonly label: string; readonly in: readonly MetricName[] };
}

/**
 * A field of the socket itself, and who sets it. "collect": read from the host or another tool's output
 * (reading portwatch's JSON back keeps it). "classify", "enrich", "evaluate": worked out afterwards, from
 * `initial` (reading portwatch's JSON back ignores it and works it out again).
 */
export type SocketField = Field & ({ readonly setBy: "collect" } | { readonly setBy: "classify" | "enrich" | "evaluate"; readonly initial: unknown });

const PORT = { kind: "int", min: 0, max: 65535 } as const;
const ID = { kind: "int", min: 0, max: 4_294_967_295 } as const;
const INODE = { kind: "int", min: 0, max: Number.MAX_SAFE_INTEGER } as const;
const TEXT = { kind: "text" } as const;

export const LIST_MATCH_FIELDS = [
  { name: "name", type: TEXT, nullable: false, presence: "always", description: "the list's name as enabled (portwatch lists show)" },
  { name: "category", type: TEXT, nullable: true, presence: "always", description: "its category (\"attacks\", \"malware\", \"reputation\"), from its header or lists add --category",
    policy: { match: "glob", how: "the category of an enabled address list that holds the remote address (\"malware\"); * and ? are wildcards", path: "remote.listCategory" } },
  { name: "date", type: TEXT, nullable: true, presence: "always", description: "the date of the list's data, from its header (ISO 8601 when readable)" },
  { name: "network", type: TEXT, nullable: false, presence: "always", description: "the list's network that holds the address (a CIDR, or the address itself)" },
] as const satisfies readonly Field[];

export const ENDPOINT_FIELDS = [
  { name: "address", type: { kind: "text", pattern: ADDRESS_PATTERN, what: "an IPv4 or IPv6 address or a host name (no spaces, control or formatting characters)" },
    nullable: false, presence: "always", description: "IP address as the kernel or the tool printed it (\"::\", \"0.0.0.0\" or \"*\" for any)",
    policy: { match: "address", how: "an IP address or CIDR, IPv4 or IPv6 (an IPv4-mapped IPv6 address matches as IPv4)" } },
  { name: "port", type: PORT, nullable: false, presence: "always", description: "port number, never a service name; for raw sockets the IP protocol number",
    policy: { match: "port", how: "a port, or a range like 8000-8100" } },
  { name: "host", type: TEXT, nullable: false, presence: "when-set", description: "host name from reverse DNS (--resolve) or from the capture, when known" },
] as const satisfies readonly Field[];

export const NETWORK_OWNER_FIELDS = [
  { name: "number", type: ID, nullable: false, presence: "always", description: "the autonomous system's number (13335)" },
  { name: "org", type: TEXT, nullable: true, presence: "always", description: "its organisation as the database names it (\"Cloudflare, Inc.\"); null when it gives none",
    policy: { match: "words", how: "a part of the organisation's name, or a pattern with * and ? for the whole name; case does not matter", path: "remote.org" } },
] as const satisfies readonly Field[];

/** The remote end's fields: those of any end, the address lists that hold its address, and who owns its network. */
export const REMOTE_ENDPOINT_FIELDS = [
  ...ENDPOINT_FIELDS,
  { name: "lists", type: { kind: "list", of: { kind: "object", fields: LIST_MATCH_FIELDS } }, nullable: false, presence: "when-set",
    description: "the enabled address lists (portwatch lists) that hold the address, when some do (only Internet addresses are looked up); rule blocklist",
    policy: { match: "glob", how: "the name of an enabled address list that holds the remote address (\"*\": any list); * and ? are wildcards" } },
  { name: "asn", type: { kind: "object", fields: NETWORK_OWNER_FIELDS }, nullable: true, presence: "when-set",
    description: "who owns the network of the address, from the network owners' database (portwatch lists update asn), whenever it is present; null when the database knows no owner (private and reserved addresses among them)",
    policy: { match: "asn", how: "an AS number, as 15169 or \"AS15169\"" } },
] as const satisfies readonly Field[];

/** The local end's fields: those of any end, and its port labels the listeners (a remote port never is a label: 100,000 peers would make 100,000 series). */
export const LOCAL_ENDPOINT_FIELDS = [
  ENDPOINT_FIELDS[0], { ...ENDPOINT_FIELDS[1], metric: { label: "port", in: ["portwatch_listeners"] } }, ENDPOINT_FIELDS[2],
] as const satisfies readonly Field[];

export const SERVICE_FIELDS = [
  { name: "name", type: TEXT, nullable: false, presence: "always", description: "portwatch's name for a port it knows (the name its reasons use, from its knowledge of ports), else the registered name (curated table, /etc/services, IANA)" },
  { name: "port", type: PORT, nullable: false, presence: "always", description: "the port that names it: local for listeners and inbound, remote for outbound" },
] as const satisfies readonly Field[];

export const PACKAGE_FIELDS = [
  { name: "name", type: TEXT, nullable: false, presence: "always", description: "package name, without the architecture (\"openssh-server\")" },
  { name: "version", type: TEXT, nullable: true, presence: "always", description: "installed version (dpkg status)" },
  { name: "verified", type: { kind: "bool" }, nullable: true, presence: "always", description: "the executable's bytes match the package's recorded checksum; false: changed since installed; null: nothing to compare" },
] as const satisfies readonly Field[];

export const WRITABLE_FIELDS = [
  { name: "path", type: TEXT, nullable: false, presence: "always", description: "the file or folder someone other than root can write" },
  { name: "by", type: TEXT, nullable: false, presence: "always", description: "who: \"anyone\", \"uid 1000\", \"gid 100\"" },
] as const satisfies readonly Field[];

export const FOREIGN_CODE_FIELDS = [
  { name: "path", type: TEXT, nullable: false, presence: "always", description: "the library as the kernel or the environment names it" },
  { name: "place", type: { kind: "enum", values: ["memfd", "world-writable", "home", "hidden"] }, nullable: true, presence: "always", description: "where it lives; null for an ordinary place" },
  { name: "deleted", type: { kind: "bool" }, nullable: false, presence: "always", description: "deleted or replaced after it was mapped" },
  { name: "via", type: { kind: "enum", values: ["mapped", "LD_PRELOAD", "ld.so.preload", "environment"] }, nullable: false, presence: "always", description: "how it got in" },
] as const satisfies readonly Field[];

export const PROVENANCE_FIELDS = [
  { name: "database", type: { kind: "enum", values: ["dpkg"] }, nullable: true, presence: "always", description: "the package database looked in; null when there is none portwatch reads (or another root directory: a container)" },
  { name: "writable", type: { kind: "object", fields: WRITABLE_FIELDS }, nullable: true, presence: "always", description: "someone other than root can replace the executable; null when only root can" },
  { name: "foreign", type: { kind: "list", of: { kind: "object", fields: FOREIGN_CODE_FIELDS } }, nullable: false, presence: "always", description: "code from world-writable, hidden, home or deleted places, or named in /etc/ld.so.preload" },
] as const satisfies readonly Field[];

export const PROCESS_REF_FIELDS = [
  { name: "pid", type: ID, nullable: false, presence: "always", description: "process id" },
  { name: "name", type: TEXT, nullable: true, presence: "always", description: "short name" },
  { name: "exe", type: TEXT, nullable: true, presence: "always", description: "executable path" },
  { name: "uid", type: ID, nullable: true, presence: "always", description: "real user id" },
] as const satisfies readonly Field[];

export const TERMINAL_PROCESS_FIELDS = [
  ...PROCESS_REF_FIELDS,
  { name: "cmdline", type: { kind: "list", of: TEXT }, nullable: true, presence: "always", description: "arguments" },
] as const satisfies readonly Field[];

export const TERMINAL_BELOW_FIELDS = [
  { name: "tty", type: TEXT, nullable: false, presence: "always", description: "the pseudo-terminal (\"pts/5\")" },
  { name: "between", type: { kind: "list", of: { kind: "object", fields: PROCESS_REF_FIELDS } }, nullable: false, presence: "always", description: "the processes between the holder and the first process on the terminal" },
  { name: "on", type: { kind: "list", of: { kind: "object", fields: TERMINAL_PROCESS_FIELDS } }, nullable: false, presence: "always", description: "the first process on the terminal, then its descendants there (at most 4)" },
] as const satisfies readonly Field[];

export const PROCESS_FIELDS = [
  { name: "pid", type: ID, nullable: false, presence: "always", description: "process id" },
  { name: "name", type: TEXT, nullable: true, presence: "always", description: "short name (/proc/<pid>/comm), or the name the capture printed",
    policy: { match: "glob", how: "the name, or the file name of the executable or of argv[0]; * and ? are wildcards" },
    metric: { label: "program", in: ["portwatch_listeners"] } },
  { name: "nameCut", type: { kind: "bool" }, nullable: false, presence: "when-set", description: "captures only: the tool cut the name to its column (netstat's \"pid/name\" to 19 characters, lsof's COMMAND to 9), so name is the start of the real one" },
  { name: "exe", type: TEXT, nullable: true, presence: "always", description: "executable path (/proc/<pid>/exe, without \" (deleted)\")",
    policy: { match: "glob", how: "the full path; * and ? are wildcards" } },
  { name: "exeDeleted", type: { kind: "bool" }, nullable: false, presence: "always", description: "the executable was deleted or replaced after the process started" },
  { name: "cmdline", type: { kind: "list", of: TEXT }, nullable: true, presence: "always", description: "arguments (/proc/<pid>/cmdline); [] for kernel threads, null when unreadable" },
  { name: "uid", type: ID, nullable: true, presence: "always", description: "real user id (/proc/<pid>/status Uid:)" },
  { name: "user", type: TEXT, nullable: true, presence: "always", description: "user name of uid (/etc/passwd)",
    policy: { match: "glob", how: "the user name, or the uid (the process's, else the socket's) as digits; * and ? are wildcards" } },
  { name: "containerId", type: { kind: "text", pattern: /^[0-9a-f]{64}$/, what: "64 hex digits" }, nullable: true, presence: "always", description: "container id, when /proc/<pid>/cgroup names one" },
  { name: "netns", type: INODE, nullable: true, presence: "always", description: "network namespace inode (/proc/<pid>/ns/net)" },
  { name: "package", type: { kind: "object", fields: PACKAGE_FIELDS }, nullable: true, presence: "when-set", description: "the installed package of the executable; null when none owns it (live Linux only)" },
  { name: "provenance", type: { kind: "object", fields: PROVENANCE_FIELDS }, nullable: false, presence: "when-set", description: "where the process's code came from beyond its package (live Linux only)" },
  { name: "ancestry", type: { kind: "list", of: { kind: "object", fields: PROCESS_REF_FIELDS } }, nullable: true, presence: "when-set", description: "who started it: its parent first, up to pid 1; null when unreadable (live only)" },
  { name: "tty", type: TEXT, nullable: true, presence: "when-set", description: "controlling terminal (\"pts/3\", \"tty1\"); null for none (live only)" },
  { name: "unit", type: TEXT, nullable: true, presence: "when-set", description: "systemd service or scope from /proc/<pid>/cgroup; null for none (live only)" },
  { name: "terminalsBelow", type: { kind: "list", of: { kind: "object", fields: TERMINAL_BELOW_FIELDS } }, nullable: false, presence: "when-set", description: "pseudo-terminals in use below it other than its own (live only; the reverse-shell rule)" },
] as const satisfies readonly Field[];

export const HOLDER_FIELDS = [
  { name: "pid", type: ID, nullable: false, presence: "always", description: "process id" },
  { name: "name", type: TEXT, nullable: true, presence: "always", description: "short name" },
] as const satisfies readonly Field[];

export const REASON_FIELDS = [
  { name: "rule", type: TEXT, nullable: false, presence: "always", description: "the rule that fired, e.g. \"irc-outbound\" or \"policy:deny\"",
    metric: { label: "rule", in: ["portwatch_suspicious_sockets"] } },
  { name: "verdict", type: { kind: "enum", values: VERDICTS }, nullable: false, presence: "always", description: "what the rule says of the socket" },
  { name: "message", type: TEXT, nullable: false, presence: "always", description: "why, in plain words" },
] as const satisfies readonly Field[];

export const REACH_FIELDS = [
  { name: "kind", type: { kind: "enum", values: REACH_KINDS }, nullable: false, presence: "always",
    description: "loopback-only (bound to loopback, or no other interface), blocked (the firewall drops, rejects or diverts it), restricted (only some sources or interfaces), open (anyone on every interface), unknown (a rule portwatch cannot evaluate decides)",
    policy: { match: "one-of", how: "one of the values (a socket without reach matches none)" } },
  { name: "detail", type: TEXT, nullable: false, presence: "always", description: "in plain words: from where, which rule blocks it (\"rule 7 of chain input in table inet filter\"), or what it depends on" },
] as const satisfies readonly Field[];

/** REACH_FIELDS inside a published port's mapping: the same, but not a policy operand (reach.kind is). */
const MAPPING_REACH_FIELDS = [
  { name: "kind", type: { kind: "enum", values: REACH_KINDS }, nullable: false, presence: "always", description: "as reach.kind, for the host port along this path" },
  { name: "detail", type: TEXT, nullable: false, presence: "always", description: "as reach.detail" },
] as const satisfies readonly Field[];

export const PORT_MAPPING_FIELDS = [
  { name: "hostAddress", type: TEXT, nullable: false, presence: "always", description: "the host's address the port is published on (\"0.0.0.0\" or \"::\" for every address)" },
  { name: "hostPort", type: PORT, nullable: false, presence: "always", description: "the published port of the host" },
  { name: "containerAddress", type: TEXT, nullable: false, presence: "always", description: "where connections to it go: the container's address" },
  { name: "containerPort", type: PORT, nullable: false, presence: "always", description: "and the container's port" },
  { name: "hostNetns", type: INODE, nullable: true, presence: "always", description: "the network namespace of the host side; null when not known" },
  { name: "via", type: { kind: "enum", values: ["dnat", "docker-proxy"] }, nullable: false, presence: "always", description: "a DNAT rule of the host's firewall, or a docker-proxy process listening on the host port" },
  { name: "rule", type: TEXT, nullable: false, presence: "always", description: "the DNAT rule (\"rule 3 of chain DOCKER in table ip nat\") or the proxy (\"docker-proxy, pid 812\")" },
  { name: "reach", type: { kind: "object", fields: MAPPING_REACH_FIELDS }, nullable: true, presence: "always", description: "who can reach the host port along this path, through the host's firewall; null when not known" },
] as const satisfies readonly Field[];

export const SOCKET_FIELDS = [
  { name: "proto", type: { kind: "enum", values: PROTOS }, nullable: false, presence: "always", setBy: "collect", description: "transport protocol",
    policy: { match: "one-of", how: "one of the values" }, metric: { label: "proto", in: ["portwatch_sockets", "portwatch_listeners"] } },
  { name: "family", type: { kind: "enum", values: FAMILIES }, nullable: false, presence: "always", setBy: "collect", description: "IP version" },
  { name: "local", type: { kind: "object", fields: LOCAL_ENDPOINT_FIELDS }, nullable: false, presence: "always", setBy: "collect", description: "this computer's end" },
  { name: "remote", type: { kind: "object", fields: REMOTE_ENDPOINT_FIELDS }, nullable: true, presence: "always", setBy: "collect", description: "the other end; null when not connected" },
  { name: "state", type: { kind: "enum", values: SOCKET_STATES }, nullable: false, presence: "always", setBy: "collect", description: "TCP state with netstat's name; UNCONN for unconnected UDP and raw sockets",
    policy: { match: "one-of", how: "one of the values" }, metric: { label: "state", in: ["portwatch_sockets"] } },
  { name: "direction", type: { kind: "enum", values: DIRECTIONS }, nullable: false, presence: "always", setBy: "classify", initial: "unknown",
    description: "listening (TCP LISTEN, unconnected UDP), inbound (to a local listener's port), outbound, or unknown",
    policy: { match: "one-of", how: "one of the values" }, metric: { label: "direction", in: ["portwatch_sockets"] } },
  { name: "exposure", type: { kind: "enum", values: EXPOSURES }, nullable: true, presence: "always", setBy: "classify", initial: null,
    description: "who can reach a listener, from its bind address and network namespace; null for connections" },
  { name: "netns", type: INODE, nullable: true, presence: "always", setBy: "collect", description: "network namespace inode; null when unknown (another tool's output)" },
  { name: "inode", type: INODE, nullable: true, presence: "always", setBy: "collect", description: "socket inode; 0 when no file holds it any more (TIME_WAIT, orphans); null when unknown" },
  { name: "uid", type: ID, nullable: true, presence: "always", setBy: "collect", description: "owner uid of the socket as the kernel reports it" },
  { name: "service", type: { kind: "object", fields: SERVICE_FIELDS }, nullable: true, presence: "always", shared: true, setBy: "enrich", initial: null,
    description: "the service the judged port names (local for listeners and inbound, remote for outbound)" },
  { name: "process", type: { kind: "object", fields: PROCESS_FIELDS }, nullable: true, presence: "always", shared: true, setBy: "collect",
    description: "the process that holds the socket; null when no visible process does" },
  { name: "sharedWith", type: { kind: "list", of: { kind: "object", fields: HOLDER_FIELDS } }, nullable: false, presence: "always", shared: true, setBy: "collect",
    description: "other holders of the same socket (forked servers, passed descriptors); [] if none" },
  { name: "verdict", type: { kind: "enum", values: VERDICTS }, nullable: false, presence: "always", setBy: "evaluate", initial: "unknown",
    description: "the worst of the reasons, unless the policy decides", metric: { label: "verdict", in: ["portwatch_sockets", "portwatch_listeners"] } },
  { name: "reasons", type: { kind: "list", of: { kind: "object", fields: REASON_FIELDS } }, nullable: false, presence: "always", shared: true, setBy: "evaluate", initial: NONE,
    description: "why the verdict: every rule that fired" },
  { name: "explanation", type: TEXT, nullable: true, presence: "always", setBy: "evaluate", initial: null,
    description: "what the socket is and how to learn more, in plain words" },
  { name: "hiddenFrom", type: { kind: "enum", values: HIDDEN_FROM }, nullable: false, presence: "when-set", setBy: "collect",
    description: "a socket the kernel's views leave out: a listener one of them leaves out read after read, \"proc\" (/proc/net, netstat) or \"netlink\" (ss), rule hidden-port; or \"both\", a socket a process holds that neither view of the namespaces portwatch reads through processes lists, rule hidden-socket" },
  { name: "unlisted", type: { kind: "enum", values: UNLISTED_BINDS }, nullable: false, presence: "when-set", setBy: "collect",
    description: "a port no view of the socket tables lists although binding it fails, try after try (audit --deep; owner, address and state unknown): \"wildcard-and-loopback\" (both binds failed) or \"wildcard-only\" (held on another address); rule unlisted-port" },
  { name: "reach", type: { kind: "object", fields: REACH_FIELDS }, nullable: false, presence: "when-set", shared: true, setBy: "collect",
    description: "listeners of a live host whose firewall portwatch read (nft, iptables-save): who can reach it through the firewall of its network namespace" },
  { name: "v6only", type: { kind: "bool" }, nullable: false, presence: "when-set", setBy: "collect",
    description: "an IPv6 listener on \"::\" read through netlink: true when IPV6_V6ONLY is on (IPv6 only), false when it also takes IPv4; absent when not known (a /proc/net read, or another tool's output)" },
  { name: "published", type: { kind: "list", of: { kind: "object", fields: PORT_MAPPING_FIELDS } }, nullable: false, presence: "when-set", shared: true, setBy: "collect",
    description: "a listener (a container's) that host ports are published to, by a DNAT rule or docker-proxy: which host port, and who can reach it" },
  { name: "publishes", type: { kind: "list", of: { kind: "object", fields: PORT_MAPPING_FIELDS } }, nullable: false, presence: "when-set", shared: true, setBy: "collect",
    description: "a host listener (docker-proxy, or one a DNAT rule diverts) whose port is published to a container's socket: where connections go" },
] as const satisfies readonly SocketField[];

/** A field with its dotted path from the socket ("process.name"; "reasons[].rule" for a field of a list's items). */
export interface FieldAt {
  readonly path: string;
  readonly field: Field;
}

/** Every field, depth first in table order, with its path: the socket's fields and those of their objects and lists. */
export function allFields(fields: readonly Field[] = SOCKET_FIELDS, prefix = ""): FieldAt[] {
  const out: FieldAt[] = [];
  for (const field of fields) {
    const path = `${prefix}${field.name}`;
    out.push({ path, field });
    let t = field.type;
    let sub = `${path}.`;
    if (t.kind === "list") { t = t.of; sub = `${path}[].`; }
    if (t.kind === "object") out.push(...allFields(t.fields, sub));
  }
  return out;
}

/** A policy operand: a field a policy rule can match, by its dotted path. */
export interface PolicyOperandSpec {
  readonly path: PolicyOperand;
  readonly match: PolicyMatch;
  readonly how: string;
  /** For "one-of": the words. */
  readonly values: readonly string[] | null;
}

/** The policy's operands, in table order. */
export const POLICY_OPERANDS: readonly PolicyOperandSpec[] = allFields().flatMap(({ path, field }) =>
  field.policy ? [{ path: (field.policy.path ?? path) as PolicyOperand, match: field.policy.match, how: field.policy.how, values: field.type.kind === "enum" ? field.type.values.map(String) : null }] : []);

/** The labels of a metric, in table order, with the path of the field each comes from. */
export function metricLabels(metric: MetricName): { label: string; path: string; field: Field }[] {
  return allFields().flatMap(({ path, field }) => (field.metric?.in.includes(metric) ? [{ label: field.metric.label, path, field }] : []));
}

/** A field's values in words, for messages and docs: "\"tcp\" | \"udp\" | \"raw\"", "a whole number from 0 to 65535", "a list of text". */
export function describeType(t: FieldType): string {
  switch (t.kind) {
    case "enum": return t.values.map((v) => (typeof v === "string" ? `"${v}"` : String(v))).join(" | ");
    case "int": return t.max === Number.MAX_SAFE_INTEGER ? `a whole number (${t.min} or more)` : `a whole number from ${t.min} to ${t.max}`;
    case "text": return t.what ?? "text";
    case "bool": return "true or false";
    case "object": return `an object {${t.fields.map((f) => `"${f.name}"`).join(", ")}}`;
    case "list": return `a list of ${t.of.kind === "object" ? "objects" : describeType(t.of).replace(/^an? /, "")}`;
  }
}

// --- The table and the types agree (compile time) -----------------------------------------------------

type Names<F extends readonly Field[]> = F[number]["name"];
type NullableNames<F extends readonly Field[]> = Extract<F[number], { nullable: true }>["name"];
type WhenSetNames<F extends readonly Field[]> = Extract<F[number], { presence: "when-set" }>["name"];
type NullKeys<O> = { [K in keyof O]-?: null extends O[K] ? K : never }[keyof O];
type OptionalKeys<O> = { [K in keyof O]-?: object extends Pick<O, K> ? K : never }[keyof O];
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Agrees<F extends readonly Field[], O> = Same<Names<F>, keyof O> extends true
  ? Same<NullableNames<F>, NullKeys<O>> extends true ? Same<WhenSetNames<F>, OptionalKeys<O>> : false : false;

/** Each is `true` only when the table lists exactly the type's keys, the nullable ones as nullable and the optional ones as "when-set". */
export const TABLES_AGREE_WITH_TYPES: [
  Agrees<typeof SOCKET_FIELDS, Socket>, Agrees<typeof ENDPOINT_FIELDS, Endpoint>, Agrees<typeof LOCAL_ENDPOINT_FIELDS, Endpoint>, Agrees<typeof SERVICE_FIELDS, Service>,
  Agrees<typeof PROCESS_FIELDS, ProcessInfo>, Agrees<typeof HOLDER_FIELDS, SharedHolder>, Agrees<typeof REASON_FIELDS, Reason>,
  Agrees<typeof LIST_MATCH_FIELDS, ListMatch>, Agrees<typeof REMOTE_ENDPOINT_FIELDS, RemoteEndpoint>, Agrees<typeof PORT_MAPPING_FIELDS, PortMapping>,
  Agrees<typeof NETWORK_OWNER_FIELDS, NetworkOwner>,
] = [true, true, true, true, true, true, true, true, true, true, true];

// The policy operands as types: their paths and how each matches, so evaluate/policy.ts must read every one.
type OperandsOf<F, P extends string> = F extends { name: infer N extends string }
  ? (F extends { policy: { match: infer M; path: infer Q extends string } } ? { path: Q; match: M } : F extends { policy: { match: infer M } } ? { path: `${P}${N}`; match: M } : never)
    | (F extends { type: { kind: "object"; fields: readonly (infer G)[] } } ? OperandsOf<G, `${P}${N}.`> : never)
    | (F extends { type: { kind: "list"; of: { kind: "object"; fields: readonly (infer G)[] } } } ? OperandsOf<G, `${P}${N}[].`> : never)
  : never;
/** Each policy operand's path and match kind, as a type. */
export type PolicyOperandType = OperandsOf<(typeof SOCKET_FIELDS)[number], "">;
/** A policy operand's dotted path: "process.name", "local.port", "proto"... */
export type PolicyOperand = PolicyOperandType["path"];
