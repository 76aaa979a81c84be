#!/usr/bin/env node
// Benchmark of reading a firewall (issue 17: under 50 ms for a 1,000-rule set): makes a network namespace,
// loads N generated rules with nft (or iptables-restore with --iptables), then times, R runs each, wall and CPU
// (this process's, the addon's threads included, plus its waited-for children's, from /proc/self/stat):
// readFirewall() of the namespace as an audit does (nftables and the interfaces over netlink through the addon's
// nftDump, on a thread that joins the namespace; then iptables-save and ip6tables-save when the dump holds
// iptables-nft's xt expressions), the same as the first read of a fresh node process,
// nftDump and parseNftNetlink alone, `nft -j list ruleset` alone (the old way, and the fallback), parsing its JSON, and reachOf for 200 listeners;
// then a watcher's read (readFirewalls with a FirewallCache: the nftables generation asked through the addon,
// nft not run when it has not moved), and the generation request (nftGenId) alone.
// Needs root, nftables, iptables; run `npm run build` first. Removes its namespace at the end.
// Usage: node bench/firewall.mjs [N=1000] [R=15] [--iptables]
import { execFileSync, spawn } from "node:child_process";
import { readFirewall, readFirewalls } from "../dist/collect/firewall.js";
import { nativeAddon } from "../dist/collect/native.js";
import { readFileSync } from "node:fs";
import { parseNftJson } from "../dist/collect/parse/nft-json.js";
import { parseNftNetlink } from "../dist/collect/parse/nft-netlink.js";
import { reachOf } from "../dist/evaluate/reach.js";

const args = process.argv.slice(2).filter((a) => !a.startsWith("--"));
const n = Number(args[0] ?? 1000), runs = Number(args[1] ?? 20), iptables = process.argv.includes("--iptables");
const ns = `pwbench${process.pid}`;
const run = (argv, input) => execFileSync(argv[0], argv.slice(1), { input, encoding: "utf8", maxBuffer: 256 << 20 });

function nftRules() {
  const lines = ["table inet bench {", "  set allowed { type ipv4_addr; flags interval; elements = { 10.0.0.0/8, 192.168.0.0/16 } }", "  chain input { type filter hook input priority 0; policy drop;", "    ct state established,related accept", '    iif "lo" accept'];
  for (let i = 0; i < n; i++) {
    const port = 1024 + i;
    const kind = i % 5;
    if (kind === 0) lines.push(`    tcp dport ${port} accept`);
    else if (kind === 1) lines.push(`    ip saddr 172.${16 + (i % 16)}.${i % 256}.0/24 tcp dport ${port} accept`);
    else if (kind === 2) lines.push(`    iifname "eth${i % 4}" udp dport { ${port}, ${port + 10000} } accept`);
    else if (kind === 3) lines.push(`    ip saddr @allowed tcp dport ${port}-${port + 3} counter accept`);
    else lines.push(`    tcp dport ${port} counter drop`);
  }
  lines.push("  }", "}");
  return `${lines.join("\n")}\n`;
}
function iptablesRules() {
  const lines = ["*filter", ":INPUT DROP [0:0]", ":FORWARD ACCEPT [0:0]", ":OUTPUT ACCEPT [0:0]", "-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT", "-A INPUT -i lo -j ACCEPT"];
  for (let i = 0; i < n; i++) {
    const port = 1024 + i;
    const kind = i % 4;
    if (kind === 0) lines.push(`-A INPUT -p tcp -m tcp --dport ${port} -j ACCEPT`);
    else if (kind === 1) lines.push(`-A INPUT -s 172.${16 + (i % 16)}.${i % 256}.0/24 -p tcp -m tcp --dport ${port} -j ACCEPT`);
    else if (kind === 2) lines.push(`-A INPUT -i eth${i % 4} -p udp -m multiport --dports ${port},${port + 10000} -j ACCEPT`);
    else lines.push(`-A INPUT -p tcp -m tcp --dport ${port} -j DROP`);
  }
  lines.push("COMMIT");
  return `${lines.join("\n")}\n`;
}

const stats = (xs) => { const s = [...xs].sort((a, b) => a - b); return `best ${s[0].toFixed(1)} ms, median ${s[Math.floor(s.length / 2)].toFixed(1)} ms`; };
// CPU of this process and of its children that ended (utime, stime, cutime, cstime of /proc/self/stat, in ticks of 10 ms)
const ticks = () => readFileSync("/proc/self/stat", "utf8").split(") ")[1].split(" ").slice(11, 15).map(Number);
let lastCpu = "";
async function time(fn) {
  const out = []; const c = process.cpuUsage(); const t0 = ticks();
  for (let i = 0; i < runs; i++) { const t = process.hrtime.bigint(); await fn(); out.push(Number(process.hrtime.bigint() - t) / 1e6); }
  const own = process.cpuUsage(c), t1 = ticks();
  const children = ((t1[2] - t0[2]) + (t1[3] - t0[3])) * 10 / runs;
  lastCpu = `; CPU per run: ${((own.user + own.system) / 1000 / runs).toFixed(1)} ms here + ${children.toFixed(1)} ms in programs started`;
  return out;
}

run(["ip", "netns", "add", ns]);
try {
  run(["ip", "-n", ns, "link", "add", "eth0", "type", "veth", "peer", "name", "eth1"]);
  run(["ip", "-n", ns, "addr", "add", "192.0.2.1/24", "dev", "eth0"]);
  run(["ip", "-n", ns, "link", "set", "eth0", "up"]);
  if (iptables) run(["ip", "netns", "exec", ns, "iptables-restore"], iptablesRules());
  else run(["ip", "netns", "exec", ns, "nft", "-f", "-"], nftRules());
  // a process in the namespace, so it is entered as an audit enters a listener's: /proc/<pid>/ns/net
  const holder = spawn("ip", ["netns", "exec", ns, "sleep", "300"], { stdio: "ignore" });
  await new Promise((ok) => setTimeout(ok, 300));
  const nsFile = `/proc/${holder.pid}/ns/net`;
  process.on("exit", () => holder.kill("SIGKILL"));
  const first = await readFirewall(nsFile);
  const rules = first.ruleset.tables.reduce((a, t) => a + t.chains.reduce((b, c) => b + c.rules.length, 0), 0);
  console.log(`${iptables ? "iptables-restore" : "nft -f"}: ${n} generated rules; read back ${rules} rules in ${first.ruleset.tables.length} tables; problem: ${first.problem}`);
  console.log(`readFirewall (cold: no cache; another namespace, as an audit reads a listener's): ${stats(await time(() => readFirewall(nsFile)))}${lastCpu}; notes: ${JSON.stringify(first.notes)}`);
  // a fresh node process's first read: its wall time, and its CPU (the process's own, threads included, and
  // its programs'), beside the same with PORTWATCH_NATIVE=0 (no addon: nft -j list ruleset, the fallback)
  const fresh = `const { readFirewall } = await import(${JSON.stringify(new URL("../dist/collect/firewall.js", import.meta.url).href)});
    const { readFileSync } = await import("node:fs");
    const ticks = () => readFileSync("/proc/self/stat", "utf8").split(") ")[1].split(" ").slice(13, 15).map(Number);
    const k = ticks(), c = process.cpuUsage(), t = process.hrtime.bigint();
    await readFirewall(${JSON.stringify(nsFile)});
    const wall = Number(process.hrtime.bigint() - t) / 1e6, u = process.cpuUsage(c), k1 = ticks();
    process.stdout.write(JSON.stringify([wall, (u.user + u.system) / 1000, (k1[0] - k[0] + k1[1] - k[1]) * 10]));`;
  for (const [label, env] of [["netlink", {}], ["PORTWATCH_NATIVE=0, nft -j", { PORTWATCH_NATIVE: "0" }]]) {
    const firsts = [];
    for (let i = 0; i < Math.min(runs, 10); i++) firsts.push(JSON.parse(execFileSync(process.execPath, ["--input-type=module", "-e", fresh], { encoding: "utf8", env: { ...process.env, ...env } })));
    const mean = (k) => (firsts.reduce((a, x) => a + x[k], 0) / firsts.length).toFixed(1);
    console.log(`readFirewall, the first read of a fresh node process (${label}; modules loaded before): ${stats(firsts.map((x) => x[0]))} over ${firsts.length} processes; CPU per read: ${mean(1)} ms in the process + ${mean(2)} ms in programs started`);
  }
  const addon = nativeAddon();
  if (addon?.nftDump !== undefined) {
    const dump = await addon.nftDump(nsFile);
    console.log(`nftDump alone (the kernel's dumps, ${(dump.messages.length / 1024).toFixed(0)} KiB of messages): ${stats(await time(() => addon.nftDump(nsFile)))}${lastCpu}`);
    console.log(`parseNftNetlink of it: ${stats(await time(() => parseNftNetlink(dump)))}${lastCpu}`);
  }
  const text = run(["ip", "netns", "exec", ns, "nft", "-j", "list", "ruleset"]);
  console.log(`nft -j list ruleset alone (through ip netns exec): ${stats(await time(() => run(["ip", "netns", "exec", ns, "nft", "-j", "list", "ruleset"])))}${lastCpu}; ${(text.length / 1024).toFixed(0)} KiB of JSON`);
  console.log(`parseNftJson of it: ${stats(await time(() => parseNftJson(text)))}`);
  const ctx = { ruleset: first.ruleset, interfaces: first.interfaces };
  console.log(`reachOf for 200 listeners (tcp, 0.0.0.0, ports 1024..1223): ${stats(await time(() => { for (let p = 1024; p < 1224; p++) reachOf({ proto: "tcp", family: 4, address: "0.0.0.0", port: p }, ctx); }))}`);
  // an audit's own namespace (the host's, most often): no nsenter, and the interfaces from os.networkInterfaces()
  const own = `const { readFirewall } = await import(${JSON.stringify(new URL("../dist/collect/firewall.js", import.meta.url).href)});
    const xs = []; for (let i = 0; i < ${runs}; i++) { const t = process.hrtime.bigint(); await readFirewall(); xs.push(Number(process.hrtime.bigint() - t) / 1e6); }
    process.stdout.write(JSON.stringify(xs));`;
  console.log(`readFirewall() of its own namespace (a node started in it, as an audit of that host): ${stats(JSON.parse(run(["ip", "netns", "exec", ns, process.execPath, "--input-type=module", "-e", own])))}`);
  if (addon?.nftGenId === undefined) console.log("no addon with nftGenId: the watcher's read is not measured");
  else {
    const listener = { proto: "tcp", family: 4, local: { address: "0.0.0.0", port: 1024 }, remote: null, state: "LISTEN", direction: "listening", netns: 1, sharedWith: [], process: { pid: holder.pid } };
    const cache = new Map();
    await readFirewalls([listener], "/proc", undefined, cache);
    console.log(`readFirewalls with a warm cache (a watcher's look, generation unmoved): ${stats(await time(() => readFirewalls([listener], "/proc", undefined, cache)))}`);
    console.log(`nftGenId alone (through setns on a thread): ${stats(await time(() => addon.nftGenId(nsFile)))}`);
  }
} finally {
  run(["ip", "netns", "del", ns]);
  process.exit(0);
}
