/**
 * Generated nftables rulesets for comparing the two ways portwatch reads nftables (netlink and nft -j): inet, ip
 * and ip6 tables with named and anonymous sets (plain and interval, IPv4, IPv6, ports, interface names), a
 * verdict map, several base chains with priorities and policies, regular chains reached by jump and goto, and
 * rules mixing what the evaluator understands (ports, prefixes, ranges, negations, iifname wildcards, ct state,
 * l4proto, nfproto, fib) with what it does not (marks, limits, ttl, tcp flags, concatenations, vmaps, nat).
 * The elements of each pool are disjoint, so any choice of them is a valid interval set. nft refuses some
 * combinations (an ip and an ip6 match in one rule of an inet table, say): the caller makes another ruleset.
 */
export function generateNftRuleset(r: () => number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const some = <T>(xs: readonly T[], min = 1): T[] => {
    const out = xs.filter(() => r() < 0.4);
    while (out.length < min) { const x = pick(xs); if (!out.includes(x)) out.push(x); }
    return out;
  };
  const n = (max: number) => Math.floor(r() * max);
  const V4 = ["10.0.0.0/8", "172.16.0.0/12", "192.168.1.1", "192.168.2.0/24", "192.168.3.10-192.168.3.20", "100.64.0.0-100.64.0.255",
    "203.0.113.7", "198.51.100.0/25", "198.51.100.128/26", "0.0.0.0/8", "255.255.255.0/24", "192.0.2.0/28"];
  const V6 = ["fd00::/8", "2001:db8::/32", "::ffff:10.0.0.0/104", "::1", "fe80::1-fe80::ff", "ff00::/8", "::1.2.3.4", "2001:db9:0:1::5"];
  const PORTS = ["22", "80", "443", "1000-2000", "3000-3999", "65000-65535", "0-10", "53", "8080"];
  const v4prefix = () => { const len = 1 + n(31); const a = [n(256), n(256), n(256), n(256)]; const v = ((a[0]! << 24) | (a[1]! << 16) | (a[2]! << 8) | a[3]!) >>> 0; const m = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0; const x = (v & m) >>> 0; return `${x >>> 24}.${(x >>> 16) & 255}.${(x >>> 8) & 255}.${x & 255}/${len}`; };
  const v4one = () => `10.${n(256)}.${n(256)}.${1 + n(254)}`;
  const port = () => String(1 + n(65000));
  const set = (xs: readonly string[]) => `{ ${some(xs).join(", ")} }`;
  const plainPorts = PORTS.filter((p) => !p.includes("-"));
  // one transport protocol per rule (nft refuses "tcp dport 1 udp dport 2"): P is "tcp" or "udp"
  let P = "tcp";
  const ports = [
    () => `${P} dport ${port()}`, () => `${P} dport != ${port()}`, () => `${P} dport ${pick(PORTS)}`, () => `${P} dport != 1000-2000`,
    () => `${P} dport ${set(plainPorts)}`, () => `${P} dport != ${set(plainPorts)}`, () => `${P} dport ${set(PORTS)}`, () => `${P} dport @ps`,
    () => `${P} dport @pr`, () => `th dport ${port()}`, () => `${P} dport < 1024`, () => `${P} dport >= 1024`, () => `${P} sport ${pick(PORTS)}`,
    () => `meta l4proto { tcp, udp } th dport ${port()}`, () => `meta l4proto ${P}`, () => `meta l4proto != ${P}`,
  ];
  const v4 = [
    () => `ip saddr ${v4one()}`, () => `ip saddr ${v4prefix()}`, () => `ip daddr ${v4prefix()}`, () => "ip saddr 10.1.0.1-10.1.0.9",
    () => `ip saddr != ${v4prefix()}`, () => `ip daddr ${set(V4)}`, () => `ip saddr != ${set(V4)}`, () => "ip saddr @s4", () => "ip saddr @a4",
    () => "ip saddr != @s4", () => `ip protocol ${P}`, () => `ip protocol ${P} ${P} dport 22`, () => "ip ttl 64",
    () => `ip saddr . ${P} dport { 10.0.0.1 . 22, 10.0.0.2 . 80 }`,
  ];
  const v6 = [
    () => "ip6 saddr fd00::/8", () => `ip6 saddr ${pick(V6)}`, () => `ip6 daddr ${set(V6)}`, () => "ip6 saddr != 2001:db8::/48",
    () => "ip6 saddr @s6", () => "ip6 daddr 2001:db8::1-2001:db8::ff", () => `ip6 nexthdr ${P}`, () => "ip6 saddr ::ffff:1.2.3.4",
  ];
  const any = [
    () => 'iifname "eth0"', () => 'iifname "eth*"', () => 'iifname != "wg0"', () => 'iifname { "eth0", "wg0" }', () => "iifname @ifs",
    () => 'iif "lo"', () => 'iif != "lo"', () => "ct state new", () => "ct state established,related", () => "ct state != established",
    () => "ct state { new, related }", () => "ct state invalid", () => "ct state new,untracked",
    () => "meta l4proto { tcp, udp }", () => "fib daddr type local", () => "meta mark 0x1", () => "meta skuid 0", () => "limit rate 10/second",
    () => "ct mark 0x1", () => "meta mark & 0xff == 0x1", () => "quota 100 mbytes",
    ...ports, ...ports,
  ];
  const matchesFor = (family: "inet" | "ip" | "ip6"): (() => string)[] => {
    const flavour = family === "ip" ? 4 : family === "ip6" ? 6 : pick([4, 6, 0]);
    const extra = flavour === 4 ? v4 : flavour === 6 ? v6 : [];
    const nfproto = family === "inet" ? [() => (flavour === 6 ? "meta nfproto ipv6" : "meta nfproto ipv4"), () => "meta nfproto { ipv4, ipv6 }"] : [];
    return [...any, ...extra, ...extra, ...nfproto];
  };
  // matches only one protocol has, in a rule of their own protocol
  const only: Record<string, (() => string)[]> = { tcp: [() => "tcp flags syn"], udp: [() => "udp length 100"], icmp: [() => "icmp type echo-request"], 99: [] };
  const rule = (family: "inet" | "ip" | "ip6", verdicts: readonly string[]) => {
    const kind = pick(["tcp", "udp", "tcp", "udp", "icmp", "99"]);
    P = kind === "icmp" || kind === "99" ? "tcp" : kind;
    const ms = kind === "icmp" || kind === "99" ? [() => `meta l4proto ${kind}`, ...matchesFor(family).filter((m) => !/dport|sport|l4proto|protocol|nexthdr/.test(m()))] : [...matchesFor(family), ...only[kind]!];
    const v = pick(verdicts);
    const verdict = v.includes("tcp") && kind !== "tcp" ? (kind === "udp" ? v.replace("tcp dport", "udp dport").replace(" with tcp reset", "") : "accept") : v;
    return [...Array.from({ length: n(4) }, () => pick(ms)()), verdict].join(" ");
  };
  const table = (family: "inet" | "ip" | "ip6", name: string): string[] => {
    const lines = [`table ${family} ${name} {`];
    if (family !== "ip6") lines.push(`  set s4 { type ipv4_addr; flags interval;${r() < 0.8 ? ` elements = ${set(V4)}` : ""} }`,
      `  set a4 { type ipv4_addr; elements = { ${Array.from({ length: 1 + n(4) }, v4one).join(", ")} } }`);
    if (family !== "ip") lines.push(`  set s6 { type ipv6_addr; flags interval; elements = ${set(V6)} }`);
    lines.push(`  set ps { type inet_service; elements = ${set(plainPorts)} }`, `  set pr { type inet_service; flags interval; elements = ${set(PORTS)} }`,
      `  set ifs { type ifname; elements = { "eth0", "wg0", "lo" } }`, "  map vm { type inet_service : verdict; elements = { 22 : accept, 23 : drop, 24 : jump sub2 } }");
    const verdicts = ["accept", "drop", "reject", "jump sub1", "goto sub2", "counter", "log prefix \"pw \"", "counter accept", "tcp dport vmap @vm",
      "tcp dport vmap { 80 : accept, 81 : drop }", "continue", "reject with tcp reset", "drop", "accept"];
    lines.push("  chain sub2 {", ...Array.from({ length: n(4) }, () => `    ${rule(family, ["accept", "drop", "return", "counter", "reject"])}`), "  }");
    lines.push("  chain sub1 {", ...Array.from({ length: n(4) }, () => `    ${rule(family, ["accept", "drop", "return", "goto sub2", "jump sub2"])}`), "  }");
    const base = (hook: string, name: string) => {
      lines.push(`  chain ${name} { type filter hook ${hook} priority ${pick([-300, -150, -10, 0, 5, 10, 100])}; policy ${pick(["accept", "drop"])};`,
        ...Array.from({ length: n(7) }, () => `    ${rule(family, verdicts)}`), "  }");
    };
    base("input", "input");
    if (r() < 0.5) base("prerouting", "pre");
    if (r() < 0.3) base("input", "input2");
    if (r() < 0.3) lines.push(`  chain fw { type filter hook forward priority 0; policy ${pick(["accept", "drop"])};`, '    oifname "eth1" accept', `    oifname != "eth*" ${pick(["drop", "accept"])}`, "  }");
    if (r() < 0.5) {
      const to = family === "ip6" ? () => pick(["[fd00::2]:80", "fd00::3", "[2001:db8::1]:8080"]) : () => pick(["10.0.0.2:80", "10.0.0.3", "192.168.5.5:8443", "10.0.0.2-10.0.0.5"]);
      const dnat = family === "inet" ? "dnat ip to" : "dnat to";
      const natRules = [() => `tcp dport ${port()} ${dnat} ${to()}`, () => `udp dport ${port()} ${dnat} ${to()}`, () => `tcp dport ${port()} redirect to :${port()}`,
        () => `${family === "ip6" ? "ip6 saddr fd00::/8" : "ip saddr 10.0.0.0/8"} tcp dport ${port()} ${dnat} ${to()}`,
        () => (family === "ip6" ? `tcp dport ${port()} counter` : `${dnat} tcp dport map { 80 : 10.0.0.2, 81 : 10.0.0.3 }`)];
      if (family === "inet" && r() < 0.5) natRules.push(() => `tcp dport ${port()} dnat ip6 to [fd00::9]:80`);
      lines.push("  chain natpre { type nat hook prerouting priority -100; policy accept;", ...Array.from({ length: 1 + n(4) }, () => `    ${pick(natRules)()}`), "  }");
      lines.push("  chain natpost { type nat hook postrouting priority 100; policy accept;", `    ${pick(["masquerade", family === "ip6" ? "snat to fd00::1" : family === "inet" ? "snat ip to 192.0.2.1" : "snat to 192.0.2.1", "counter"])}`, "  }");
    }
    lines.push("}");
    return lines;
  };
  const fams = some(["inet", "ip", "ip6", "inet"] as const);
  return `${fams.flatMap((f, i) => table(f, `pw${i}`)).join("\n")}\n`;
}
