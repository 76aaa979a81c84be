#!/usr/bin/env node
// Captures what netstat, ss and lsof print for a desktop's default daemons, started from their real
// Debian packages the way a test helper starts programs: cupsd, avahi-daemon (with its own system D-Bus
// when none runs), sshd and chronyd, in the foreground, from /usr/sbin, as root. Writes one file per
// command into OUTDIR and MANIFEST.json (commands, tool and package versions, each daemon's pid), for
// the capture tests (every socket of these daemons must be expected, whichever tool printed it).
// Commands run without a shell; every daemon is stopped by its pid at the end; nothing leaves loopback
// except what the daemons do by themselves (avahi's multicast on the VM's own interface).
// Needs: apt-get install cups-daemon avahi-daemon openssh-server chrony net-tools iproute2 lsof; root.
// Usage: node scripts/capture-daemons.mjs test/fixtures/captures/debian12-daemons
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const out = process.argv[2];
if (!out) { console.error("usage: capture-daemons.mjs OUTDIR"); process.exit(2); }
if (process.getuid?.() !== 0) { console.error("capture-daemons.mjs: run as root (the daemons bind privileged ports)"); process.exit(2); }
mkdirSync(out, { recursive: true });

const started = [];
const start = (name, argv) => {
  const child = spawn(argv[0], argv.slice(1), { stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  child.stderr.on("data", (d) => { err += d; });
  started.push({ name, child, err: () => err });
  return child;
};
const stopAll = () => { for (const { child } of started) if (child.exitCode === null) { try { process.kill(child.pid, "SIGTERM"); } catch { /* gone */ } } };
process.on("exit", stopAll);

// sshd wants host keys and its privilege-separation folder; avahi-daemon a system bus.
spawnSync("ssh-keygen", ["-A"]);
mkdirSync("/run/sshd", { recursive: true });
if (spawnSync("pgrep", ["-x", "dbus-daemon"]).status !== 0) {
  mkdirSync("/run/dbus", { recursive: true });
  rmSync("/run/dbus/system_bus_socket", { force: true }); // left by a bus that is gone
  start("dbus-daemon", ["/usr/bin/dbus-daemon", "--system", "--nofork", "--nopidfile"]);
  await new Promise((ok) => setTimeout(ok, 500));
}
const daemons = {
  cupsd: start("cupsd", ["/usr/sbin/cupsd", "-f"]),
  "avahi-daemon": start("avahi-daemon", ["/usr/sbin/avahi-daemon", "--no-rlimits"]),
  sshd: start("sshd", ["/usr/sbin/sshd", "-D"]),
  // -x: never touch this machine's clock; -d: stay in the foreground.
  chronyd: start("chronyd", ["/usr/sbin/chronyd", "-d", "-x"]),
};

/** Waits (at most 20 s) until every daemon has a socket in `ss -tuanp`. */
async function waitForSockets() {
  for (let i = 0; i < 40; i++) {
    const ss = spawnSync("ss", ["-tuanp"], { encoding: "utf8" }).stdout;
    const missing = Object.entries(daemons).filter(([, c]) => !ss.includes(`pid=${c.pid},`));
    if (missing.length === 0) return;
    await new Promise((ok) => setTimeout(ok, 500));
  }
  const ss = spawnSync("ss", ["-tuanp"], { encoding: "utf8" }).stdout;
  const missing = Object.entries(daemons).filter(([, c]) => !ss.includes(`pid=${c.pid},`)).map(([n]) => n);
  for (const s of started) if (missing.includes(s.name)) console.error(`${s.name}: ${s.err()}`);
  throw new Error(`no socket yet for: ${missing.join(", ")}`);
}

const COMMANDS = {
  "netstat-tunap": ["netstat", "-tunap"],
  "netstat-anp": ["netstat", "-anp"],
  "netstat-tulpn": ["netstat", "-tulpn"],
  "lsof-i": ["lsof", "-i"],
  "lsof-nP-i": ["lsof", "-nP", "-i"],
  "ss-tunap": ["ss", "-tunap"],
  "ss-tulpn": ["ss", "-tulpn"],
};
try {
  await waitForSockets();
  await new Promise((ok) => setTimeout(ok, 2000)); // avahi opens its second UDP socket once it runs
  const version = (pkg) => spawnSync("dpkg-query", ["-W", "-f", "${Version}", pkg], { encoding: "utf8" }).stdout.trim();
  const manifest = {
    capturedAt: new Date().toISOString(),
    host: `development VM, Debian 12 (bookworm), Linux ${spawnSync("uname", ["-r"], { encoding: "utf8" }).stdout.trim()}`,
    daemons: Object.fromEntries(Object.entries(daemons).map(([n, c]) => [n, { pid: c.pid }])),
    packages: Object.fromEntries(["cups-daemon", "avahi-daemon", "openssh-server", "chrony", "net-tools", "iproute2", "lsof"].map((p) => [p, version(p)])),
    commands: {},
  };
  for (const [name, argv] of Object.entries(COMMANDS)) {
    const r = spawnSync(argv[0], argv.slice(1), { encoding: "utf8", timeout: 15_000, maxBuffer: 64 << 20 });
    if (r.status !== 0 || r.error) throw new Error(`${argv.join(" ")}: ${r.error?.message ?? `exit ${r.status}`}`);
    writeFileSync(join(out, `${name}.txt`), r.stdout);
    manifest.commands[name] = argv.join(" ");
  }
  writeFileSync(join(out, "MANIFEST.json"), JSON.stringify(manifest, null, 2) + "\n");
  console.log(`captured ${Object.keys(COMMANDS).length} outputs of ${Object.keys(daemons).join(", ")} into ${out}`);
} finally {
  stopAll();
}
