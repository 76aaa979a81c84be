import { Option, InvalidArgumentError, type Command } from "@commander-js/extra-typings";
import { resolve } from "node:path";
import { statePaths } from "../audit/state-dir.js";
import { safeText } from "../report/safe-text.js";
import { stateDirOption } from "./options.js";
import { processOutput } from "./output.js";

const positive = (what: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`expected a positive number of ${what}`);
  return n;
};

// DEFAULT_ASN_SOURCES of audit/lists-admin.ts in words, kept here since importing that file loads node:https.
export const DEFAULT_ASN_TEXT = "https://cdn.jsdelivr.net/npm/@ip-location-db/asn/asn-ipv4-num.csv and asn-ipv6.csv";

// Loaded only for these commands: it brings node:https, which no audit should load.
const admin = () => import("../audit/lists-admin.js");

const print = (lines: readonly string[]) => { const io = processOutput(); for (const l of lines) io.out(`${safeText(l)}\n`); };

/** `portwatch lists ...`: the address lists an audit checks remote addresses against (audit/lists-admin.ts). */
export function registerLists(cli: Command, setCode: (code: number) => void): void {
  const lists = cli.command("lists").description("Address lists (FireHOL, Spamhaus DROP, abuse.ch Feodo...): a connection to or from an address on an enabled list is suspicious")
    .addHelpText("after", `
Lists live in the state directory's lists/ folder. Audits read them there and never download anything;
only "portwatch lists update" (or "lists add NAME FILE") fetches. Formats: FireHOL .netset/.ipset,
Spamhaus DROP/EDROP ("CIDR ; SBLnnn"), abuse.ch Feodo/SSLBL (plain and CSV), and one IP or CIDR a line;
IPv4 and IPv6. Only Internet addresses are looked up (lists such as FireHOL level 1 hold private ranges).
"lists update asn" fetches the network owners' database (ip-location-db's asn data, CC BY 4.0), which
names the AS of every remote address (remote.asn; portwatch -A).`);
  lists.command("add")
    .description("Add a list from an https:// URL (fetched by lists update) or a file (copied now)")
    .argument("<name>", "a name for it: letters, digits, \".\", \"_\" and \"-\"")
    .argument("<url-or-file>", "an https:// URL, or a file path")
    .option("--category <category>", "what the list is about (attacks, malware, reputation...); default: what its header says")
    .addOption(stateDirOption())
    .addHelpText("after", "\nExit codes: 0 added, 2 usage or input error (a bad name or URL, a name taken, a file with no address), 3 internal error.")
    .action(async (name, source, opts) => {
      const from = /^[a-z][a-z0-9+.-]*:\/\//i.test(source) ? source : resolve(source);
      const { addList } = await admin();
      print([await addList(statePaths(opts.stateDir), name, from, opts.category ?? null)]);
      setCode(0);
    });
  lists.command("update")
    .description("Download the enabled lists (or those named; \"asn\": the network owners' database), over HTTPS only, asking only for what changed (ETag, Last-Modified)")
    .argument("[names...]", "only these lists; \"asn\" fetches the network owners' database (ip-location-db's asn data, CC BY 4.0)")
    .addOption(new Option("--asn-url <url>", "fetch the network owners' database from this https:// URL instead (an ip-location-db asn CSV, IPv4 or IPv6; repeatable; remembered)").argParser((v: string, all: string[] | undefined) => [...(all ?? []), v]))
    .addOption(new Option("--timeout <seconds>", "time limit of each download").default(60).argParser(positive("seconds")))
    .addOption(new Option("--max-size <MiB>", "largest list accepted").default(64).argParser(positive("MiB")))
    .addOption(stateDirOption())
    .addHelpText("after", `
Each new copy is written atomically. A download that fails, is cut short, or holds no address (or more
than 1% of lines that are not addresses) leaves the previous copy in place.
"lists update asn" downloads the network owners' database (who owns the network of each remote address:
remote.asn in JSON, --remote-owner in the table, remote.asn and remote.org in a policy) from
${DEFAULT_ASN_TEXT}
(ip-location-db's asn data from Route Views and DB-IP, CC BY 4.0). Once fetched, a plain "lists update"
refreshes it too. Nothing is downloaded unless asked.
Exit codes: 0 every list fetched or unchanged, 1 some failed (their previous copy kept), 2 usage or input error, 3 internal error.`)
    .action(async (names, opts) => {
      const { updateLists } = await admin();
      const r = await updateLists(statePaths(opts.stateDir), names, { timeoutMs: opts.timeout * 1000, maxBytes: Math.round(opts.maxSize * 1024 * 1024) }, opts.asnUrl ?? []);
      print(r.lines);
      setCode(r.ok ? 0 : 1);
    });
  lists.command("show")
    .description("Show the lists (source, category, networks, dates, the last update's failure) and the network owners' database")
    .addOption(stateDirOption())
    .action(async (opts) => { const { showLists } = await admin(); print(showLists(statePaths(opts.stateDir))); setCode(0); });
  lists.command("enable-defaults")
    .description("Add and enable FireHOL level 1, abuse.ch Feodo and Spamhaus DROP; downloads nothing (run lists update)")
    .addOption(stateDirOption())
    .action(async (opts) => { const { enableDefaults } = await admin(); print(enableDefaults(statePaths(opts.stateDir))); setCode(0); });
  lists.command("enable").description("Enable a list").argument("<name>").addOption(stateDirOption())
    .action(async (name, opts) => { const { setEnabled } = await admin(); print([setEnabled(statePaths(opts.stateDir), name, true)]); setCode(0); });
  lists.command("disable").description("Disable a list (its copy is kept)").argument("<name>").addOption(stateDirOption())
    .action(async (name, opts) => { const { setEnabled } = await admin(); print([setEnabled(statePaths(opts.stateDir), name, false)]); setCode(0); });
}
