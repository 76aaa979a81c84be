// Issue 14: a crafted capture (--from) can neither crash the run, nor put raw escapes into the table, nor
// forge --json/--ndjson output; numbers no tool prints (a port over 65535, pid 0, a 400-digit inode) and
// addresses that are none (999.1.1.1, a name with a bidi override) are problems with their place, and the
// rest of the capture is read.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { CaptureFormat } from "../../src/audit/capture.js";
import { assertSafeOutputs, runPipeline } from "./pipeline.js";

const NETSTAT_HEAD = "Proto Recv-Q Send-Q Local Address           Foreign Address         State       User       Inode      PID/Program name";
const SS_HEAD = "Netid State  Recv-Q Send-Q Local Address:Port Peer Address:Port Process";
const LSOF_HEAD = "COMMAND     PID            USER   FD   TYPE DEVICE SIZE/OFF NODE NAME";
const good: Record<Exclude<CaptureFormat, "portwatch-json" | "bsd-netstat">, string> = {
  netstat: "tcp        0      0 127.0.0.1:631           0.0.0.0:*               LISTEN      root       22606      812/cupsd",
  ss: "tcp   LISTEN 0      128    127.0.0.1:631      0.0.0.0:*     users:((\"cupsd\",pid=812,fd=7)) uid:0 ino:22606",
  lsof: "cupsd      812            root    7u  IPv4  23115      0t0  TCP 127.0.0.1:631 (LISTEN)",
  "windows-netstat": "  TCP    127.0.0.1:631          0.0.0.0:0              LISTENING       812",
};
const heads: Record<string, string> = { netstat: NETSTAT_HEAD, ss: SS_HEAD, lsof: LSOF_HEAD, "windows-netstat": "  Proto  Local Address          Foreign Address        State           PID" };

/** Reads a header, the crafted line (line 2) and a good line (line 3): the good one is read, the crafted one is a problem of line 2. */
function refused(format: keyof typeof good, crafted: string, reason: RegExp): void {
  const text = [heads[format], crafted, good[format]].join("\n");
  const out = runPipeline(text, format);
  assertSafeOutputs(out, text);
  assert.equal(out.snapshot.sockets.length, 1, "the good line is still read");
  const skipped = out.snapshot.warnings.filter((w) => w.startsWith("Skipped a line: fuzz:2: "));
  assert.equal(skipped.length, 1, out.snapshot.warnings.join("\n"));
  assert.match(skipped[0] as string, reason);
}

describe("crafted text captures", () => {
  const cases: [keyof typeof good, string, string, RegExp][] = [
    ["netstat", "a port over 65535", "tcp 0 0 127.0.0.1:70000 0.0.0.0:* LISTEN root 1 812/cupsd", /port 70000 .* is out of range \(from 0 to 65535\)/],
    ["netstat", "a port of 400 digits (the service names read it as Infinity, which is no JSON)", `tcp 0 0 127.0.0.1:${"9".repeat(400)} 0.0.0.0:* LISTEN root 1 812/cupsd`, /port 999999999\.\.\. in .* is out of range/],
    ["netstat", "an IPv4 address with a number over 255", "tcp 0 0 999.1.1.1:80 0.0.0.0:* LISTEN root 1 812/cupsd", /"999\.1\.1\.1" is not an IPv4 address/],
    ["netstat", "pid 0", "tcp 0 0 127.0.0.1:80 0.0.0.0:* LISTEN root 1 0/init", /pid 0 is out of range \(from 1 to 4194304\)/],
    ["netstat", "a pid of 20 digits", "tcp 0 0 127.0.0.1:80 0.0.0.0:* LISTEN root 1 99999999999999999999/x", /pid 99999999999999999999 is out of range/],
    ["netstat", "an inode of 400 digits (written as Infinity, which is no JSON)", `tcp 0 0 127.0.0.1:80 0.0.0.0:* LISTEN root ${"9".repeat(400)} 812/cupsd`, /inode 9+\.\.\. is out of range/],
    ["netstat", "a host name with a right-to-left override", "tcp 0 0 moc.\u202eevil:80 0.0.0.0:* LISTEN root 1 812/cupsd", /is not a host name/],
    ["ss", "a pid of 0 among the users", "tcp LISTEN 0 128 127.0.0.1:80 0.0.0.0:* users:((\"x\",pid=0,fd=3))", /pid 0 is out of range/],
    ["ss", "an inode of 400 digits", `tcp LISTEN 0 128 127.0.0.1:80 0.0.0.0:* users:(("x",pid=5,fd=3)) ino:${"9".repeat(400)}`, /inode 9+\.\.\. is out of range/],
    ["ss", "a uid over 2^32", "tcp LISTEN 0 128 127.0.0.1:80 0.0.0.0:* users:((\"x\",pid=5,fd=3)) uid:4294967296", /uid 4294967296 is out of range/],
    ["ss", "a port over 65535", "tcp LISTEN 0 128 127.0.0.1:99999 0.0.0.0:*", /port 99999 .* is out of range/],
    ["lsof", "pid 0", "x 0 root 3u IPv4 1 0t0 TCP 127.0.0.1:80 (LISTEN)", /pid 0 is out of range/],
    ["lsof", "a pid over Linux's limit", "x 4194305 root 3u IPv4 1 0t0 TCP 127.0.0.1:80 (LISTEN)", /pid 4194305 is out of range/],
    ["lsof", "an escape sequence in the address", "x 5 root 3u IPv4 1 0t0 TCP \u001b[2J:80 (LISTEN)", /is not a host name/],
    ["windows-netstat", "a pid over 2^32", "  TCP    127.0.0.1:80   0.0.0.0:0   LISTENING   4294967296", /pid 4294967296 is out of range \(from 0 to 4294967295\)/],
    ["windows-netstat", "a port over 65535", "  TCP    127.0.0.1:65536   0.0.0.0:0   LISTENING   4", /port 65536 .* is out of range/],
  ];
  for (const [format, what, line, reason] of cases) {
    it(`the ${format} reader refuses ${what} with the line and the reason, and reads the rest`, () => refused(format, line, reason));
  }

  it("the readers still read every scoped address as the tools print it: [fe80::1]%eth0 (ss), [fe80::1%9] (Windows), 127.0.0.53%lo", () => {
    const ss = runPipeline([SS_HEAD, "udp UNCONN 0 0 [fe80::5054:ff:fe12:3456]%enp1s0:546 [::]:*", "udp UNCONN 0 0 127.0.0.53%lo:53 0.0.0.0:*"].join("\n"), "ss");
    assert.deepEqual(ss.snapshot.sockets.map((s) => s.local.address).sort(), ["127.0.0.53", "fe80::5054:ff:fe12:3456"]);
    const win = runPipeline([heads["windows-netstat"], "  UDP    [fe80::1c1:6b45:9b7e:293a%9]:1900  *:*   4"].join("\n"), "windows-netstat");
    assert.deepEqual(win.snapshot.sockets.map((s) => s.local.address), ["fe80::1c1:6b45:9b7e:293a"]);
  });

  it("the BSD netstat reader refuses a port over 65535 and an impossible IPv4 address", () => {
    const text = ["Proto Recv-Q Send-Q Local Address          Foreign Address        (state)", "tcp4 0 0 127.0.0.1.70000 *.* LISTEN", "tcp4 0 0 300.0.0.1.22 *.* LISTEN", "tcp4 0 0 127.0.0.1.25 *.* LISTEN"].join("\n");
    const out = runPipeline(text, "bsd-netstat");
    assertSafeOutputs(out, text);
    assert.equal(out.snapshot.sockets.length, 1);
    assert.match(out.snapshot.warnings.join("\n"), /fuzz:2: port 70000 .* out of range[^]*fuzz:3: "300\.0\.0\.1" is not an IPv4 address/);
  });
});

describe("crafted portwatch-JSON captures", () => {
  const sock = (patch: Record<string, unknown> = {}) => JSON.stringify({ proto: "tcp", family: 4, local: { address: "127.0.0.1", port: 631 }, remote: null, state: "LISTEN", process: { pid: 812, name: "cupsd", exe: "/usr/sbin/cupsd" }, ...patch });

  it("a header whose host name is no JSON string is a problem, not a crash (exit 3 before)", () => {
    const text = `{"schema":1,"host":{"hostname":"\\x"},"sockets":[\n${sock()}\n]}`;
    const out = runPipeline(text, "portwatch-json");
    assertSafeOutputs(out, text);
    assert.equal(out.snapshot.sockets.length, 1);
    assert.match(out.snapshot.warnings.join("\n"), /fuzz:1: field "host\.hostname" is not a valid JSON string/);
  });

  it("a header host name with an escape sequence or a bidi override is refused; the JSON output keeps none", () => {
    const text = `{"schema":1,"host":{"hostname":"a\\u001b[2J\\u202eb"},"sockets":[\n${sock()}\n]}`;
    const out = runPipeline(text, "portwatch-json");
    assertSafeOutputs(out, text);
    assert.equal(out.snapshot.host.hostname, null);
    assert.match(out.snapshot.warnings.join("\n"), /fuzz:1: field "host\.hostname" must be a host name/);
  });

  it("an address that is none (999.1.1.1) or a name with a bidi override is a problem with its field", () => {
    const text = [sock({ local: { address: "999.1.1.1", port: 1 } }), sock({ remote: { address: "moc.\u202eevil", port: 443 } }), sock()].join("\n");
    const out = runPipeline(text, "portwatch-json");
    assertSafeOutputs(out, text);
    assert.equal(out.snapshot.sockets.length, 1);
    assert.match(out.snapshot.warnings.join("\n"), /fuzz:1: field "local\.address" must be [^]*fuzz:2: field "remote\.address" must be/);
  });

  it("names with escapes, newlines and bidi overrides stay one NDJSON line each and reach the table escaped", () => {
    const text = [sock({ process: { pid: 812, name: "x\n{\"proto\":\"tcp\"}\u202e\u001b[2J", exe: "/tmp/a\nb" } }), sock({ verdict: "expected", reasons: [] })].join("\n");
    const out = runPipeline(text, "portwatch-json");
    assertSafeOutputs(out, text);
    assert.equal(out.snapshot.sockets.length, 2);
  });

  it("a duplicate key in the input gives one key in the output", () => {
    const text = sock().replace(/}$/, ',"verdict":"expected","verdict":"expected","state":"LISTEN"}');
    const out = runPipeline(text, "portwatch-json");
    assertSafeOutputs(out, text); // the output is exactly what portwatch writes of the parsed value: no key twice
    assert.equal(out.snapshot.sockets.length, 1);
  });
});
