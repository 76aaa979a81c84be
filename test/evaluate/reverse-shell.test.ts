import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { evaluate } from "../../src/evaluate/evaluate.js";
import { createKnowledge } from "../../src/knowledge/knowledge.js";
import { sharedHolder } from "../../src/model/holders.js";
import type { ProcessInfo, ProcessRef, TerminalBelow } from "../../src/model/process.js";
import type { Socket } from "../../src/model/socket.js";

const knowledge = createKnowledge();

const ref = (pid: number, name: string, exe = `/usr/bin/${name}`): ProcessRef => ({ pid, name, exe, uid: 1000 });
const on = (pid: number, name: string, cmdline: string[] | null, exe = `/usr/bin/${name}`) => ({ ...ref(pid, name, exe), cmdline });
const term = (between: ProcessRef[], ...procs: TerminalBelow["on"]): TerminalBelow => ({ tty: "pts/3", between, on: procs });

function holder(name: string, exe: string, terminalsBelow: TerminalBelow[], cmdline = [exe]): ProcessInfo {
  return { pid: 812, name, exe, exeDeleted: false, cmdline, uid: 1000, user: "app", containerId: null, netns: 1, ancestry: [ref(1, "systemd", "/usr/lib/systemd/systemd")], tty: null, unit: null, terminalsBelow };
}
function conn(p: ProcessInfo): Socket {
  return {
    proto: "tcp", family: 4, local: { address: "198.51.100.254", port: 40000 }, remote: { address: "203.0.113.5", port: 443 }, state: "ESTABLISHED",
    direction: "outbound", exposure: null, netns: 1, inode: 77, uid: 1000, service: null, process: p, sharedWith: [], verdict: "unknown", reasons: [], explanation: null,
  };
}

const bash = on(815, "bash", ["/bin/bash"]);
const PY = "/usr/bin/python3.11";
const VSC = "/home/u/.vscode-server/bin/abc/node";

describe("reverse-shell", () => {
  // [what, holder, fires]
  const cases: [string, ProcessInfo, boolean][] = [
    // attacks
    ["python3 that made a pty for bash (pty.spawn)", holder("python3", PY, [term([], bash)]), true],
    ["python3 → script → sh -c /bin/bash → bash (script /dev/null -c bash)", holder("python3", PY, [term([ref(813, "script")], on(814, "sh", ["sh", "-c", "/bin/bash"]), bash)]), true],
    ["a loader from /var/tmp, bash -i on its pty", holder("loader", "/var/tmp/.l/loader", [term([], on(815, "bash", ["bash", "-i"]))]), true],
    ["a login shell (-bash) on the pty", holder("perl", "/usr/bin/perl", [term([], on(815, "bash", ["-bash"]))]), true],
    ["busybox sh on the pty", holder("nc", "/usr/bin/nc.openbsd", [term([ref(813, "python3", PY)], on(815, "busybox", ["busybox", "sh"], "/usr/bin/busybox"))]), true],
    ["bash -il", holder("python3", PY, [term([], on(815, "bash", ["bash", "-il"]))]), true],
    ["sh -s (commands from the terminal)", holder("python3", PY, [term([], on(815, "sh", ["sh", "-s"], "/usr/bin/dash"))]), true],
    ["a shell whose arguments could not be read", holder("python3", PY, [term([], on(815, "zsh", null))]), true],
    ["a benign terminal first, then a reverse shell's", holder("python3", PY, [term([ref(813, "tmux: server")], bash), term([], bash)]), true],
    ["sudo's own pty (use_pty) does not hide a shell", holder("python3", PY, [term([ref(813, "sudo"), ref(814, "sudo")], bash)]), true],
    // a name is the process's own choice (exec -a, prctl PR_SET_NAME, a copy's file name): it makes no terminal program
    ["python3 started as `exec -a tmux` (argv[0] says tmux)", holder("python3", PY, [term([], bash)], ["tmux", "-c", "import pty"]), true],
    ["a copy of python3 in /var/tmp named screen", holder("screen", "/var/tmp/.s/screen", [term([], bash)]), true],
    ["a copy of python3 in a home directory named sshd", holder("sshd", "/home/u/.local/sshd", [term([], bash)]), true],
    ["between: a python3 that renamed itself \"tmux: server\" (prctl)", holder("python3", PY, [term([ref(813, "tmux: server", PY)], bash)]), true],
    // an editor server's path is anyone's to copy to: what runs there must be the editor's own code
    ["a copy of python3 as ~/.vscode-server/bin/x/node with -c", holder("node", VSC, [term([], bash)], [VSC, "-c", "import pty,socket"]), true],
    ["VS Code's own node with code given by -e", holder("node", VSC, [term([], bash)], [VSC, "-e", "require('child_process')"]), true],
    ["VS Code's own node requiring a module from elsewhere before its script", holder("node", VSC, [term([], bash)], [VSC, "-r", "/tmp/x.js", "/home/u/.vscode-server/bin/abc/out/server-main.js"]), true],
    ["a script outside the server's folder", holder("node", VSC, [term([], bash)], [VSC, "/var/tmp/.x/r.js"]), true],
    ["a node under /tmp/.vscode-server (no home)", holder("node", "/tmp/.vscode-server/bin/abc/node", [term([], bash)], ["/tmp/.vscode-server/bin/abc/node", "/tmp/.vscode-server/bin/abc/out/server-main.js"]), true],
    ["a loader from /var/tmp with a copy named like VS Code's node between it and the shell", holder("loader", "/var/tmp/.l/loader", [term([ref(813, "node", VSC)], bash)]), true],
    ["a java named like a JetBrains IDE's that runs no IDE", holder("java", "/var/tmp/jbr/bin/java", [term([], bash)], ["/var/tmp/jbr/bin/java", "-jar", "/var/tmp/r.jar"]), true],
    // the benign nearest
    ["sshd and the shell of an ssh session", holder("sshd", "/usr/sbin/sshd", [term([ref(900, "sshd", "/usr/sbin/sshd")], bash)]), false],
    ["OpenSSH 9.8's sshd-session", holder("sshd-session", "/usr/lib/openssh/sshd-session", [term([], bash)]), false],
    ["a program that runs a tmux server with a shell in it", holder("python3", PY, [term([ref(813, "tmux: server", "/usr/bin/tmux")], bash)]), false],
    ["tmux's server itself holding a socket, a shell in it", holder("tmux: server", "/usr/bin/tmux", [term([], bash)], ["tmux"]), false],
    ["screen", holder("python3", PY, [term([ref(813, "screen")], bash)]), false],
    ["a terminal emulator below a program (a desktop launcher)", holder("gnome-shell", "/usr/bin/gnome-shell", [term([ref(813, "gnome-terminal-", "/usr/libexec/gnome-terminal-server")], bash)]), false],
    ["docker exec -it: the shim made the pty", holder("dockerd", "/usr/sbin/dockerd", [term([ref(813, "containerd-shim", "/usr/bin/containerd-shim-runc-v2")], bash)]), false],
    ["VS Code's integrated terminal (the editor made the pty)", holder("code", "/usr/share/code/code", [term([ref(813, "code", "/usr/share/code/code")], bash)]), false],
    ["VS Code's remote server (a node of its own), its pty host made the terminal", holder("node", VSC, [term([ref(813, "node", VSC)], bash)], [VSC, "/home/u/.vscode-server/bin/abc/out/server-main.js", "--host=127.0.0.1"]), false],
    ["VS Code's pty host holding a socket itself", holder("node", VSC, [term([], bash)], [VSC, "--max-old-space-size=3072", "/home/u/.vscode-server/bin/abc/out/bootstrap-fork", "--type=ptyHost"]), false],
    ["VS Code's newer layout (cli/servers) as root", holder("node", "/root/.vscode-server/cli/servers/Stable-abc/server/node", [term([], bash)], ["/root/.vscode-server/cli/servers/Stable-abc/server/node", "/root/.vscode-server/cli/servers/Stable-abc/server/out/server-main.js"]), false],
    ["a JetBrains IDE's terminal (pty4j in its java)", holder("java", "/opt/idea/jbr/bin/java", [term([], bash)], ["/opt/idea/jbr/bin/java", "-Xmx2g", "-classpath", "/opt/idea/lib/app.jar", "com.intellij.idea.Main"]), false],
    ["a build on a pty: sh -c runs a command, not a shell for a person", holder("python3", PY, [term([ref(813, "script")], on(814, "sh", ["sh", "-c", "make test"]), on(816, "make", ["make", "test"]))]), false],
    ["a shell running a script on the pty", holder("python3", PY, [term([], on(815, "bash", ["bash", "/opt/app/run.sh"]))]), false],
    ["busybox httpd on a pty is no shell", holder("python3", PY, [term([], on(815, "busybox", ["busybox", "httpd", "-f"], "/usr/bin/busybox"))]), false],
    ["a REPL that is no shell", holder("python3", PY, [term([], on(815, "python3", ["python3"], PY))]), false],
    ["no terminal below", holder("python3", PY, []), false],
    ["another tool's output (no context)", { ...holder("python3", PY, []), terminalsBelow: undefined } as unknown as ProcessInfo, false],
    ["a JSON file read back with a malformed context", { ...holder("python3", PY, []), terminalsBelow: [1, { tty: "pts/1" }, { between: [], on: null }] } as unknown as ProcessInfo, false],
  ];
  for (const [what, p, fires] of cases) {
    it(`reverse-shell ${fires ? "fires on" : "stays quiet for"} ${what}`, () => {
      const s = conn(p);
      evaluate([s], { knowledge, mode: "live-root", origin: "live" });
      const r = s.reasons.find((x) => x.rule === "reverse-shell");
      assert.equal(r !== undefined, fires, JSON.stringify(s.reasons));
      if (fires) assert.equal(s.verdict, "suspicious");
    });
  }

  it("reverse-shell names the shell, its terminal and the chain down to it", () => {
    const s = conn(holder("python3", PY, [term([ref(813, "script")], on(814, "sh", ["sh", "-c", "/bin/bash"]), bash)]));
    evaluate([s], { knowledge, mode: "live-root", origin: "live" });
    assert.match(s.reasons.find((r) => r.rule === "reverse-shell")!.message,
      /^It has an interactive shell below it, bash \(pid 815\) on pts\/3, .* \(python3 \(pid 812\) → script \(pid 813\) → sh \(pid 814\) → … → bash \(pid 815\)\)/);
  });

  it("reverse-shell also judges a holder that is not `process`, and says which", () => {
    const s = conn(holder("loader", "/opt/pwtest/loader", []));
    s.sharedWith = [sharedHolder({ ...holder("python3", PY, [term([], bash)]), pid: 820 })];
    evaluate([s], { knowledge, mode: "live-root", origin: "live" });
    assert.equal(s.verdict, "suspicious");
    assert.match(s.reasons.find((r) => r.rule === "reverse-shell")!.message, /^Held with loader \(pid 812\) by python3 \(pid 820\): it has an interactive shell below it/);
  });
});
