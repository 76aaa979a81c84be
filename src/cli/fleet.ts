import { InvalidArgumentError, Option, type Command } from "@commander-js/extra-typings";
import { initFleet, openFleet, type FleetReader, type PgTarget } from "../audit/store.js";
import { InputError } from "../model/errors.js";
import { VERDICTS } from "../model/verdict.js";
import { renderFleetChanges, renderFleetFind, renderFleetHosts, type FleetPaint } from "../report/render-fleet.js";
import { jsonSafe, safeText } from "../report/safe-text.js";
import { parseSince } from "./history.js";
import { storeOption, storePasswordFileOption } from "./options.js";
import { processOutput, type Output } from "./output.js";
import { storeTargetOf, type StoreFlags } from "./store.js";

/** "90s", "5m", "2h", "1d" → milliseconds. */
function parseSpan(v: string): number {
  const m = /^(\d+)(s|m|h|d)$/.exec(v.trim());
  if (!m || Number(m[1]) === 0) throw new InvalidArgumentError("expected a span like 90s, 5m, 2h or 1d");
  return Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as "s"];
}

function parsePort(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || n > 65535) throw new InvalidArgumentError("expected a port from 0 to 65535");
  return n;
}

function parseLimit(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || n < 1) throw new InvalidArgumentError("expected a number of rows, 1 or more");
  return n;
}

/** The first `limit` rows; when there were more, a line on stderr says so (never a silent cut). */
function capped<T>(rows: T[], limit: number, io: Output, what: string): T[] {
  if (rows.length <= limit) return rows;
  io.err(`portwatch: more than ${limit} ${what}; only the first ${limit} are shown: ask a narrower question or raise --limit\n`);
  return rows.slice(0, limit);
}

const FLEET_HELP = `
The fleet store is the PostgreSQL that watchers write to with "portwatch watch --store URL" (or
PORTWATCH_STORE). A reader role (portwatch_reader, contrib/postgres/roles.sql) is enough for these queries.
Times are local with their offset; --json prints ISO times in UTC.
Exit codes: 0 answered, 2 usage or input error (no store, a refused connection, no fleet tables yet), 3 internal error.`;

/** The store a fleet command reads: --store or PORTWATCH_STORE, required. */
function targetOf(flags: StoreFlags, io: Output): PgTarget {
  const target = storeTargetOf(flags, (m) => io.err(`warning: ${safeText(m)}\n`));
  if (target === undefined) throw new InputError("Cannot query the fleet: no store given (use --store postgres://ROLE@HOST/DB or set PORTWATCH_STORE)");
  return target;
}

/** Runs `query` with the fleet's reader, closed afterwards. */
async function withFleet<T>(flags: StoreFlags, io: Output, query: (fleet: FleetReader) => Promise<T>): Promise<T> {
  const fleet = await openFleet(targetOf(flags, io));
  try { return await query(fleet); } finally { await fleet.close(); }
}

/** Colours for a terminal (picocolors is loaded only then). */
async function paintOf(io: Output): Promise<{ paint?: FleetPaint; width?: number }> {
  const pc = io.color ? (await import("picocolors")).default : null;
  return { ...(pc ? { paint: { red: pc.red, yellow: pc.yellow, green: pc.green } } : {}), ...(io.width !== undefined ? { width: io.width } : {}) };
}

const common = <T extends Command>(c: T) => c.addOption(storeOption("the fleet store")).addOption(storePasswordFileOption()).option("--no-color", "no colour (also NO_COLOR=1)");
const ioOf = (opts: { color?: boolean }, cmd: { getOptionValueSource(k: string): string | undefined }) => processOutput(cmd.getOptionValueSource("color") === "cli" ? opts.color : undefined);

/** `portwatch fleet hosts|find|changes|init`: the fleet's history in PostgreSQL (audit/store.ts). */
export function registerFleet(cli: Command, setCode: (code: number) => void): void {
  const fleet = cli.command("fleet").description("Ask the fleet store (PostgreSQL) about every host that writes to it: hosts, where a port or program is, what changed")
    .addHelpText("after", FLEET_HELP);
  common(fleet.command("hosts").description("Every host: its last look, its sockets' identities per verdict, and which hosts are not reporting"))
    .addOption(new Option("--stale <span>", "a host whose last look is older than this is not reporting (default: 5 of its intervals)").argParser(parseSpan))
    .option("--json", "one JSON array")
    .addHelpText("after", FLEET_HELP)
    .action(async (opts, cmd) => {
      const io = ioOf(opts, cmd);
      const hosts = await withFleet(opts, io, (f) => f.hosts({ ...(opts.stale !== undefined ? { staleMs: opts.stale } : {}) }));
      io.out(opts.json ? `${jsonSafe(JSON.stringify(hosts))}\n` : renderFleetHosts(hosts, await paintOf(io)));
      setCode(0);
    });
  common(fleet.command("find").description("Which hosts have, in their last look, a socket on this port, of this program, with this verdict or to an address on this list"))
    .addOption(new Option("--port <n>", "the port (a listener's or an outbound connection's service port)").argParser(parsePort))
    .option("--program <name>", "the program: its path (/usr/bin/xmrig), base name (xmrig) or process name")
    .addOption(new Option("--verdict <verdict>", "the verdict").choices(VERDICTS))
    .option("--list <name>", "the address list that holds the remote address (portwatch lists), e.g. feodo")
    .addOption(new Option("--limit <n>", "at most this many rows (stderr says when there were more)").argParser(parseLimit).default(10_000))
    .option("--json", "one JSON array")
    .addHelpText("after", `\nGive at least one of --port, --program, --verdict and --list; with several, all must hold.${FLEET_HELP}`)
    .action(async (opts, cmd) => {
      const io = ioOf(opts, cmd);
      if (opts.port === undefined && opts.program === undefined && opts.verdict === undefined && opts.list === undefined) {
        throw new InputError("Cannot search the fleet without a question: give --port N, --program NAME, --verdict VERDICT or --list NAME");
      }
      const query = { ...(opts.port !== undefined ? { port: opts.port } : {}), ...(opts.program !== undefined ? { program: opts.program } : {}), ...(opts.verdict !== undefined ? { verdict: opts.verdict } : {}), ...(opts.list !== undefined ? { list: opts.list } : {}) };
      const found = capped(await withFleet(opts, io, (f) => f.find(query, opts.limit + 1)), opts.limit, io, "socket identities match");
      io.out(opts.json ? `${jsonSafe(JSON.stringify(found))}\n` : renderFleetFind(found, await paintOf(io)));
      setCode(0);
    });
  common(fleet.command("changes").description("What appeared, disappeared or changed verdict on any host since a time"))
    .option("--since <span>", "since: 1d, 12h, 30m or a date", "1d")
    .addOption(new Option("--limit <n>", "at most this many changes, the oldest first (stderr says when there were more)").argParser(parseLimit).default(10_000))
    .option("--json", "one JSON array")
    .addHelpText("after", FLEET_HELP)
    .action(async (opts, cmd) => {
      const io = ioOf(opts, cmd);
      const since = parseSince(opts.since, new Date());
      const changes = capped(await withFleet(opts, io, (f) => f.changes(since, opts.limit + 1)), opts.limit, io, "changes since then");
      io.out(opts.json ? `${jsonSafe(JSON.stringify(changes))}\n` : renderFleetChanges(changes, await paintOf(io)));
      setCode(0);
    });
  fleet.command("init").description("Make or migrate the fleet's tables (as the database's owner; watchers with a writer role cannot)")
    .addOption(storeOption("the fleet store")).addOption(storePasswordFileOption())
    .addHelpText("after", "\nThen run contrib/postgres/roles.sql for the writer and reader roles (README: \"A fleet in PostgreSQL\").\nExit codes: 0 done, 2 usage or input error, 3 internal error.")
    .action(async (opts) => {
      const io = processOutput();
      const { applied, version } = await initFleet(targetOf(opts, io));
      io.out(applied.length > 0 ? `fleet schema at version ${version} (applied ${applied.join(", ")})\n` : `fleet schema already at version ${version}\n`);
      setCode(0);
    });
}
