#!/usr/bin/env node
// Captures what this machine's netstat, ss and lsof print, with many flag combinations, while the test
// socket holder (test/helpers/socket-holder.mjs) holds known loopback sockets. Writes one file per
// command into OUTDIR and MANIFEST.json (commands, tool versions, the holder's ports), for the capture
// readers' tests. Commands run without a shell; the holder is stopped by pid.
// Usage: node scripts/capture-tool-outputs.mjs test/fixtures/captures/debian12
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const out = process.argv[2];
if (!out) { console.error("usage: capture-tool-outputs.mjs OUTDIR"); process.exit(2); }
mkdirSync(out, { recursive: true });
const holderPath = new URL("../test/helpers/socket-holder.mjs", import.meta.url).pathname;
const holder = spawn(process.execPath, [holderPath, "--ttl", "60"], { stdio: ["pipe", "pipe", "inherit"] });
const ports = await new Promise((ok, fail) => {
  let text = "";
  const timer = setTimeout(() => fail(new Error("holder did not start")), 10_000);
  holder.stdout.on("data", (d) => { text += d; if (text.includes("\n")) { clearTimeout(timer); ok(JSON.parse(text)); } });
});
const COMMANDS = {
  "netstat-tuna": ["netstat", "-tuna"],
  "netstat-tunap": ["netstat", "-tunap"],
  "netstat-tunaep": ["netstat", "-tunaep"],
  "netstat-tunaepo": ["netstat", "-tunaepo"],
  "netstat-tunapW": ["netstat", "-tunapW"],
  "netstat-lnp": ["netstat", "-lnp"],
  "netstat-l": ["netstat", "-l"],
  "netstat-a": ["netstat", "-a"],
  "netstat-tua-names": ["netstat", "-tua"],
  "netstat-noargs": ["netstat"],
  "netstat-tnc": ["timeout", "2.5", "netstat", "-tnc"],
  "netstat-wan": ["netstat", "-wan"],
  "ss-tuna": ["ss", "-tuna"],
  "ss-tunap": ["ss", "-tunap"],
  "ss-tulpen": ["ss", "-tulpen"],
  "ss-tunapeo": ["ss", "-tunapeo"],
  "ss-tunaim": ["ss", "-tunaim"],
  "ss-lt": ["ss", "-lt"],
  "ss-tn": ["ss", "-tn"],
  "ss-tua-names": ["ss", "-tua"],
  "ss-wa": ["ss", "-wa"],
  "lsof-nP-i": ["lsof", "-nP", "-i"],
  "lsof-i": ["lsof", "-i"],
  "lsof-nP-iTCP-LISTEN": ["lsof", "-nP", "-iTCP", "-sTCP:LISTEN"],
  "lsof-nP-iUDP": ["lsof", "-nP", "-iUDP"],
};
const manifest = { capturedAt: new Date().toISOString(), host: "development VM, Debian 12 (bookworm), Linux " + spawnSync("uname", ["-r"], { encoding: "utf8" }).stdout.trim(), holder: ports, versions: {}, commands: {} };
for (const tool of [["netstat", "-V"], ["ss", "-V"], ["lsof", "-v"]]) {
  const r = spawnSync(tool[0], tool.slice(1), { encoding: "utf8" });
  manifest.versions[tool[0]] = (r.stdout + r.stderr).split("\n").filter(Boolean).slice(0, 2).join(" / ").trim();
}
try {
  for (const [name, argv] of Object.entries(COMMANDS)) {
    const r = spawnSync(argv[0], argv.slice(1), { encoding: "utf8", timeout: 15_000 });
    writeFileSync(join(out, `${name}.txt`), r.stdout);
    manifest.commands[name] = argv.join(" ");
  }
} finally {
  holder.stdin.end();
  try { process.kill(holder.pid, "SIGKILL"); } catch { /* gone */ }
}
writeFileSync(join(out, "MANIFEST.json"), JSON.stringify(manifest, null, 2) + "\n");
console.log(`captured ${Object.keys(COMMANDS).length} outputs into ${out}`);
