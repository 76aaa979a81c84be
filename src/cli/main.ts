#!/usr/bin/env node
import { Command, CommanderError, InvalidArgumentError, Option } from "@commander-js/extra-typings";
import { safeText } from "../report/safe-text.js";
import { VERDICTS, type Verdict } from "../model/verdict.js";
import { isInputError } from "../model/errors.js";
import { CAPTURE_FORMATS } from "../audit/formats.js";
import { baselineOption, dbOption, hostIdOption, policyOption, procRootOption, stateDirOption, storeOption, storePasswordFileOption } from "./options.js";
// Each command's code is loaded when the command runs, so `--help` and a small audit start fast.
const audit = () => import("./audit.js");
const baselineCmd = () => import("./baseline.js");
const explainCmd = () => import("./explain.js");
const watchCmd = () => import("./watch.js");
import { isBrokenPipe, processOutput } from "./output.js";
import { registerLists } from "./lists.js";
import { registerFleet } from "./fleet.js";

/** Exit codes: 0 fine, 1 a --fail-on condition was met, 2 usage or input error, 3 internal error. */
export const EXIT = { ok: 0, failOn: 1, usage: 2, internal: 3 } as const;

/** "suspicious,Unknown" → the verdicts; any case, as people type them. */
function parseVerdicts(value: string): Verdict[] {
  const list = value.split(",").map((v) => v.trim().toLowerCase()).filter(Boolean);
  const bad = list.find((v) => !(VERDICTS as readonly string[]).includes(v));
  if (bad !== undefined || list.length === 0) throw new InvalidArgumentError(`expected a comma-separated list of ${VERDICTS.join(", ")}; got "${bad ?? value}"`);
  return list as Verdict[];
}

/** Runs a long command with an AbortSignal that SIGINT or SIGTERM fires, so it can stop cleanly. */
async function untilInterrupted(run: (signal: AbortSignal) => Promise<number>): Promise<number> {
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    return await run(stop.signal);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

/** --fail-on: "suspicious" or "unknown", in any case. */
function parseFailOn(value: string): "suspicious" | "unknown" {
  const v = value.trim().toLowerCase();
  if (v === "suspicious" || v === "unknown") return v;
  throw new InvalidArgumentError("Allowed choices are suspicious, unknown (in any case).");
}

/** How often `watch --deep` probes the ports: every this many looks (at the default 2 s interval, once a minute). */
const DEEP_EVERY = 30;

/** The exit codes, as every command's help states them. */
const EXIT_HELP = "Exit codes: 0 fine, 1 --fail-on met, 2 usage or input error, 3 internal error (please report it).";

/** What netstat's and ss's flags do here, for people who type them out of habit. */
const HABITS = `netstat and ss habits work: -t TCP, -u UDP, -l listening, as there, so "portwatch -tulpn" is
"netstat -tulpn" with verdicts. -a, -n, -p and -W are accepted and change nothing: portwatch always
shows every socket, numeric addresses and ports, and each socket's owner. -e explains each socket.`;

/** The error for a word that is no command: what it was, and the commands there are. */
function unknownCommand(word: string, cli: { readonly commands: readonly { name(): string }[] }): CommanderError {
  const names = cli.commands.map((c) => c.name());
  if (names.includes(word)) return new CommanderError(EXIT.usage, "portwatch.usage", `portwatch: put the command first: "portwatch ${word} ...", its options after it`);
  return new CommanderError(EXIT.usage, "portwatch.usage", `portwatch: unknown command "${safeText(word)}"\nCommands: ${names.join(", ")} (audit when none is given); "portwatch --help" says what each does.`);
}

function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError("expected a port from 0 to 65535");
  return n;
}

/** --exec-timeout SECONDS: a number of seconds from 0.1 to 3600 (fractions allowed), as milliseconds. */
function parseExecTimeout(v: string): number {
  const n = /^\d+(\.\d+)?$/.test(v.trim()) ? Number(v) : Number.NaN;
  if (!(n >= 0.1 && n <= 3600)) throw new InvalidArgumentError("expected a number of seconds from 0.1 to 3600, like 10 or 2.5");
  return Math.round(n * 1000);
}

/** --exec-concurrency N: a whole number from 1 to 64. */
function parseExecConcurrency(v: string): number {
  const n = /^\d+$/.test(v.trim()) ? Number(v) : Number.NaN;
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new InvalidArgumentError("expected a whole number from 1 to 64");
  return n;
}

let helpIo: ReturnType<typeof processOutput> | undefined;
/** Where commander writes help, made on first use. */
function helpOutput(): ReturnType<typeof processOutput> {
  helpIo ??= processOutput(false);
  return helpIo;
}

function program(setCode: (code: number) => void): Command {
  const cli = new Command()
    .name("portwatch")
    .description("For every port this computer has open: what it is, who opened it, and whether it should be there.")
    .version("0.1.0")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride()
    // Help and usage errors go through the same writes as everything else: a reader that goes away
    // (`portwatch audit --help | head -1`) ends the command quietly instead of an unhandled EPIPE.
    .configureOutput({ writeOut: (s) => helpOutput().out(s), writeErr: (s) => helpOutput().err(s) })
    .addHelpText("after", `
${HABITS}
${EXIT_HELP}`);

  cli.command("audit", { isDefault: true })
    .description("List every TCP, UDP and raw socket (IPv4 and IPv6, every network namespace) with its owning process")
    .option("--json", "print one JSON object (the contract in docs/json.md)")
    .option("--ndjson", "print one JSON socket per line")
    .option("-t, --tcp", "TCP sockets only (with -u/-w: those protocols)")
    .option("-u, --udp", "UDP sockets only")
    .option("-w, --raw", "raw sockets only")
    .option("-l, --listening", "listening sockets only (TCP LISTEN, unconnected UDP and raw)")
    // netstat's and ss's flags that portwatch needs no option for (see HABITS): accepted, without effect.
    .addOption(new Option("-a, --all", "every socket (always)").hideHelp())
    .addOption(new Option("-n, --numeric", "numeric addresses and ports (always)").hideHelp())
    .addOption(new Option("-p, --program", "each socket's owner (always)").hideHelp())
    .addOption(new Option("-W, --wide", "whole addresses (always)").hideHelp())
    .allowExcessArguments()
    .option("--from <file>", "read another machine's netstat, ss, lsof or portwatch output instead of this host (- for stdin)")
    .addOption(new Option("--format <format>", "the capture's format, when detection guesses wrong").choices(CAPTURE_FORMATS))
    .option("--no-owners", "skip the owner lookup (faster; no process columns)")
    .addOption(policyOption())
    .addOption(baselineOption())
    .addOption(stateDirOption())
    .addOption(new Option("--only <verdicts>", "show only these verdicts, e.g. suspicious,unknown").argParser(parseVerdicts))
    .addOption(new Option("--fail-on <verdict>", "exit 1 when a socket is at least this bad: suspicious or unknown").argParser(parseFailOn))
    .option("-e, --explain", "show every reason and a plain-words explanation under each socket")
    .option("-r, --resolve", "name remote hosts by reverse DNS (bounded in time)")
    .option("-A, --remote-owner", "a Network column: who owns each remote address's network (\"AS13335 Cloudflare, Inc.\"), from the network owners' database (portwatch lists update asn; JSON has remote.asn whenever it is present)")
    .option("--deep", "the slow checks for what hides: bind every TCP and UDP port of each network namespace and report ports in use that no socket table lists (rule unlisted-port; root, native addon; seconds per namespace), and look for processes missing from /proc's listing (kill(pid, 0) up to pid_max, every process's children)")
    .addOption(procRootOption())
    .option("--no-color", "no colour (also NO_COLOR=1; FORCE_COLOR=1 forces it)")
    .addHelpText("after", `
Examples:
  portwatch                          everything, grouped by verdict
  portwatch -tl --explain            TCP listeners, each explained in plain words
  portwatch --only suspicious,unknown what needs a look
  portwatch --fail-on suspicious     exit 1 if anything is suspicious (for cron and CI)
  portwatch --deep                   also bind every port: finds ports in use that no socket table lists
  portwatch -A                       who owns each remote network (after portwatch lists update asn)
  portwatch --json > a.json          the JSON contract, for scripts
  portwatch --from netstat.txt       judge a netstat/ss/lsof capture from another machine
  ssh host 'ss -tunap' | portwatch --from -
${HABITS}
${EXIT_HELP}
Run as root to see the owner of every socket.`)
    .action(async (opts, cmd) => {
      const stray = cmd.args[0];
      if (stray !== undefined) throw unknownCommand(stray, cli);
      if (opts.json && opts.ndjson) throw new CommanderError(EXIT.usage, "portwatch.conflict", "error: choose one of --json and --ndjson");
      if (opts.deep && opts.from !== undefined) throw new CommanderError(EXIT.usage, "portwatch.conflict", "error: --deep probes the ports of this host; it cannot judge a capture (--from)");
      const io = processOutput(cmd.getOptionValueSource("color") === "cli" ? opts.color : undefined);
      const { runAudit } = await audit();
      setCode(await runAudit({
        json: opts.json ?? false, ndjson: opts.ndjson ?? false, tcp: opts.tcp ?? false, udp: opts.udp ?? false,
        raw: opts.raw ?? false, listening: opts.listening ?? false, owners: opts.owners, procRoot: opts.procRoot,
        ...(opts.policy ? { policy: opts.policy } : {}), ...(opts.only ? { only: opts.only } : {}), ...(opts.failOn ? { failOn: opts.failOn } : {}),
        explain: opts.explain ?? false, resolve: opts.resolve ?? false, deep: opts.deep ?? false, remoteOwner: opts.remoteOwner ?? false,
        ...(opts.from !== undefined ? { from: opts.from } : {}), ...(opts.format ? { format: opts.format } : {}),
        ...(opts.baseline ? { baseline: opts.baseline } : {}), ...(opts.stateDir ? { stateDir: opts.stateDir } : {}),
      }, io));
    });
  const baseline = cli.command("baseline").description("Record what this host normally has, and show what changed since");
  baseline.command("save")
    .description("Save this host's sockets, by stable identity (program, port, user; never pid or client port): its unknown ones count as expected from then on; suspicious ones are left out unless --accept names them")
    .option("--file <file>", "where to save (default: baseline.json in the state directory)")
    .addOption(new Option("--accept <rule-or-port>", "take suspicious sockets of this rule (irc-outbound) or port (6667) in anyway; repeatable. They stay suspicious in audits (a policy allow rule changes that), but baseline diff no longer shows them").argParser((v: string, previous: string[] | undefined) => [...(previous ?? []), v]))
    .addOption(policyOption())
    .addOption(stateDirOption())
    .addOption(procRootOption())
    .addHelpText("after", `
It lists the unknown sockets it takes in and the suspicious ones it leaves out (with the --accept that
would take each in). Leaving some out is no error: the rest is saved.
Exit codes: 0 saved (also when suspicious sockets were left out), 2 usage or input error, 3 internal error.`)
    .action(async (opts) => {
      const { runBaselineSave } = await baselineCmd();
      setCode(await runBaselineSave({ ...(opts.file ? { file: opts.file } : {}), ...(opts.accept ? { accept: opts.accept } : {}), ...(opts.policy ? { policy: opts.policy } : {}), ...(opts.stateDir ? { stateDir: opts.stateDir } : {}), procRoot: opts.procRoot }, processOutput()));
    });
  baseline.command("diff")
    .description("Show what appeared, disappeared or changed verdict since the baseline")
    .option("--file <file>", "the baseline to compare with (default: the saved one)")
    .option("--json", "one JSON event per line")
    .option("--fail-on-change", "exit 1 when anything changed")
    .addOption(policyOption())
    .addOption(stateDirOption())
    .addOption(procRootOption())
    .action(async (opts) => {
      const { runBaselineDiff } = await baselineCmd();
      setCode(await runBaselineDiff({ ...(opts.file ? { file: opts.file } : {}), ...(opts.policy ? { policy: opts.policy } : {}), ...(opts.stateDir ? { stateDir: opts.stateDir } : {}), procRoot: opts.procRoot, json: opts.json ?? false, failOnChange: opts.failOnChange ?? false }, processOutput()));
    });

  registerLists(cli as unknown as Command, setCode);

  cli.command("watch")
    .description("Watch this host: report sockets that appear, disappear or change verdict, and listeners whose reach a firewall change moves, as they do")
    .option("--interval <duration>", "time between looks, like 2s or 500ms", "2s")
    .option("--ndjson", "one JSON event per line: {type, identity, socket, at}")
    .addOption(new Option("--count <n>", "stop after n looks").argParser((v) => { const n = Number(v); if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("expected a whole number from 1"); return n; }))
    .option("--webhook <url>", "POST each alert (a new unknown or suspicious socket) as JSON here; queued on disk and retried")
    .option("--webhook-retry <duration>", "first retry delay of the webhook, doubled after each failure", "1s")
    .option("--queue-dir <dir>", "where undelivered webhook alerts wait (default: queue/ in the state directory)")
    .option("--exec <command>", "run this program for each alert, the alert's JSON on its stdin (no shell: split on spaces)")
    .addOption(new Option("--exec-timeout <seconds>", "with --exec: stop a handler, and every process it started, after this many seconds (default 10)").argParser(parseExecTimeout))
    .addOption(new Option("--exec-concurrency <n>", "with --exec: handlers run at once, at most (default 4)").argParser(parseExecConcurrency))
    .option("--syslog [socket]", "send alerts to syslog, RFC 5424, through /dev/log (or this socket)")
    .addOption(dbOption("the history database"))
    .option("--no-history", "keep no history")
    .addOption(storeOption("keep the history"))
    .addOption(storePasswordFileOption())
    .addOption(hostIdOption())
    .option("--deep", `also look for ports nobody lists (the bind probe of audit --deep, seconds per look) on the first look and every ${DEEP_EVERY}th after it`)
    .addOption(new Option("--deep-every <looks>", "with --deep: every this many looks instead (implies --deep)").argParser((v) => { const n = Number(v); if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("expected a whole number from 1"); return n; }))
    .addOption(policyOption())
    .addOption(stateDirOption())
    .addOption(procRootOption())
    .action(async (opts) => {
      const { parseInterval, runWatch } = await watchCmd();
      const sinks = {
        ...(opts.webhook !== undefined ? { webhook: opts.webhook, webhookRetryMs: parseInterval(opts.webhookRetry) } : {}),
        ...(opts.queueDir ? { queueDir: opts.queueDir } : {}), ...(opts.exec !== undefined ? { exec: opts.exec } : {}),
        ...(opts.execTimeout !== undefined ? { execTimeoutMs: opts.execTimeout } : {}), ...(opts.execConcurrency !== undefined ? { execConcurrency: opts.execConcurrency } : {}),
        ...(opts.history === false ? { db: null } : opts.db ? { db: opts.db } : {}),
        ...(opts.syslog !== undefined ? { syslog: opts.syslog } : {}), ...(opts.stateDir ? { stateDir: opts.stateDir } : {}),
        store: opts.store, storePasswordFile: opts.storePasswordFile, hostId: opts.hostId,
      };
      const deepEvery = opts.deepEvery ?? (opts.deep ? DEEP_EVERY : 0);
      setCode(await untilInterrupted((signal) => runWatch({ ...sinks, ...(deepEvery > 0 ? { deepEvery } : {}), intervalMs: parseInterval(opts.interval), ndjson: opts.ndjson ?? false, ...(opts.count !== undefined ? { count: opts.count } : {}), procRoot: opts.procRoot, ...(opts.policy ? { policy: opts.policy } : {}) }, processOutput(), signal)));
    });

  cli.command("history")
    .description("What the watcher has seen: per identity first and last seen, how often, owners, last verdict")
    .option("--since <span>", "seen since: 1d, 12h, 30m or a date")
    .addOption(new Option("--port <n>", "only this port").argParser(parsePort))
    .option("--json", "one JSON array")
    .addOption(dbOption("the watcher's history database"))
    .addOption(storeOption("the watcher's history"))
    .addOption(storePasswordFileOption())
    .addOption(new Option("--host-id <id>", "with --store: this host's rows (default $PORTWATCH_HOST_ID, else /etc/machine-id); another id shows that host's"))
    .addOption(stateDirOption())
    .action(async (opts) => {
      const { runHistory } = await import("./history.js");
      setCode(await runHistory({ store: opts.store, storePasswordFile: opts.storePasswordFile, hostId: opts.hostId, ...(opts.db ? { db: opts.db } : {}), ...(opts.stateDir ? { stateDir: opts.stateDir } : {}), ...(opts.since ? { since: opts.since } : {}), ...(opts.port !== undefined ? { port: opts.port } : {}), json: opts.json ?? false }, processOutput()));
    });

  registerFleet(cli as unknown as Command, setCode);

  cli.command("serve")
    .description("Serve a live dashboard, a JSON API and Prometheus /metrics, on loopback, behind a token; with --store, the fleet's hosts and each host's last look, read-only")
    .option("--host <address>", "IP address to listen on (or localhost)", "127.0.0.1")
    .addOption(new Option("--port <n>", "port to listen on (0: any free one)").default(0).argParser(parsePort))
    .option("--expose", "allow a --host that other machines can reach (prints a warning)")
    .addOption(new Option("--allow-host <name>", "with --expose: a name (or address) other machines use to reach this host; accepted in the Host header and printed (repeatable)").argParser((v: string, all: string[] | undefined) => [...(all ?? []), v]))
    .option("--token-file <file>", "read the token from this file (created with a random token, mode 600, when missing); refused when other users can write or read it")
    .option("--interval <duration>", "time between looks at the host", "2s")
    .addOption(policyOption())
    .addOption(baselineOption())
    .addOption(dbOption("the watcher's history database, for the detail view"))
    .addOption(storeOption("the fleet to show instead of this host (its hosts' last looks),"))
    .addOption(storePasswordFileOption())
    .addOption(stateDirOption())
    .addOption(new Option("--for <duration>", "stop after this long (default: until interrupted)"))
    .addOption(procRootOption())
    .action(async (opts) => {
      const { parseInterval } = await watchCmd();
      const { runServe } = await import("./serve.js");
      setCode(await untilInterrupted((signal) => runServe({
        host: opts.host, port: opts.port, expose: opts.expose ?? false, allowHosts: opts.allowHost ?? [], intervalMs: parseInterval(opts.interval), procRoot: opts.procRoot,
        ...(opts.tokenFile ? { tokenFile: opts.tokenFile } : {}), store: opts.store, storePasswordFile: opts.storePasswordFile,
        ...(opts.policy ? { policy: opts.policy } : {}), ...(opts.baseline ? { baseline: opts.baseline } : {}), ...(opts.db ? { db: opts.db } : {}),
        ...(opts.stateDir ? { stateDir: opts.stateDir } : {}), ...(opts.for ? { forMs: parseInterval(opts.for) } : {}),
      }, processOutput(), signal)));
    });

  cli.command("explain")
    .description("Explain a port: what it is, who usually opens it, whether that is normal, and who holds it now")
    .argument("<port>", "a port (631), a port and protocol (38142/udp) or a service name (mdns)")
    .option("--no-live", "do not look at this computer's sockets")
    .addOption(procRootOption())
    .addOption(policyOption())
    .addHelpText("after", `
Examples:
  portwatch explain 631
  portwatch explain 38142/udp
  portwatch explain mdns`)
    .action(async (port, opts) => {
      const { runExplain } = await explainCmd();
      setCode(await runExplain(port, { live: opts.live, procRoot: opts.procRoot, ...(opts.policy ? { policy: opts.policy } : {}) }, processOutput()));
    });
  return cli;
}

async function main(argv: string[]): Promise<number> {
  let code: number = EXIT.ok;
  try {
    await program((c) => { code = c; }).parseAsync(argv, { from: "user" });
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === "commander.helpDisplayed" || e.code === "commander.version" || e.code === "commander.help") return EXIT.ok;
      if (e.code === "portwatch.conflict" || e.code === "portwatch.usage") process.stderr.write(`${e.message}\n`);
      return EXIT.usage;
    }
    if (isBrokenPipe(e)) return EXIT.ok;
    if (isInputError(e)) {
      process.stderr.write(`portwatch: ${safeText(e.message)}\n`);
      return e.exitCode;
    }
    process.stderr.write(`portwatch: internal error: ${safeText(e instanceof Error ? e.message : String(e))} (please report this with the command you ran)\n`);
    return EXIT.internal;
  }
  return code;
}

void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
