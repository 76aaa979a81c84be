// The panel beside the list: everything portwatch knows about one identity, its process and its history.
import { jsonSafe, safeText } from "../../report/safe-text.js";
import { verdictColour } from "../../report/socket-order.js";
import { ancestryText, formatEndpoint, mappingLine, ownerText, processText, reasonText, serviceText, userText } from "../../report/socket-text.js";
import type { IdentityResponse } from "./api.js";
import { el } from "./dom.js";

/** "tcp 8080" from "L|tcp|8080|/usr/bin/node|root|host" (a listener's identity, see evaluate/identity.ts). */
function listenerText(identity: string): string {
  return safeText(identity.split("|").slice(1, 3).join(" "));
}

/** The detail of one identity as a definition list and its JSON, all set as text, every text from the host escaped (safeText, jsonSafe). */
export function renderDetail(data: IdentityResponse): HTMLElement[] {
  const s = data.sockets[0];
  const dl = el("dl");
  const add = (term: string, value: string, className?: string) => { dl.append(el("dt", term), el("dd", value, className)); };
  add("Verdict", s ? s.verdict : "gone (no socket has this identity now)", s ? `c-verdict ${verdictColour(s.verdict)}` : undefined);
  add("Identity", safeText(data.identity));
  if (s) {
    add("Explanation", safeText(s.explanation ?? ""));
    for (const r of s.reasons) add(`Reason (${r.verdict})`, reasonText(r), verdictColour(r.verdict));
    if (s.hiddenFrom) add("Hidden", s.hiddenFrom === "proc" ? "from /proc/net (what netstat reads), shown by netlink (what ss reads)"
      : s.hiddenFrom === "netlink" ? "from netlink (what ss reads), shown by /proc/net (what netstat reads)"
      : "from both netlink (ss) and /proc/net (netstat); its holder's fd table shows it", "red");
    add("Local", formatEndpoint(s.local));
    if (s.reach) add("Reach", safeText(`${s.reach.kind}: ${s.reach.detail}`), s.reach.kind === "open" ? "red" : undefined);
    if (s.v6only !== undefined) add("IPv4 too", s.v6only ? "no (IPV6_V6ONLY is on)" : "yes (IPV6_V6ONLY is off: it takes IPv4 as well)");
    for (const m of s.published ?? []) add("Published on", mappingLine(m));
    for (const m of s.publishes ?? []) add("Sends its port on to", mappingLine(m));
    add("Remote", s.remote === null ? "none (no peer)" : formatEndpoint(s.remote));
    const owner = s.remote?.asn;
    if (owner != null) add("Network", safeText(`AS${owner.number}${owner.org ? ` ${owner.org}` : ""}`));
    for (const l of s.remote?.lists ?? []) {
      const about = [l.category, l.date === null ? null : `dated ${l.date.slice(0, 10)}`].filter((x) => x !== null).join(", ");
      add("On list", safeText(`${l.name}${about ? ` (${about})` : ""}${l.network === s.remote?.address ? "" : ` as part of ${l.network}`}`), "red");
    }
    add("Service", serviceText(s));
    add("State", s.state);
    add("Direction", s.direction);
    add("Exposure", s.exposure ?? "-");
    add("Process", ownerText(s));
    if (s.process) {
      add("Executable", `${safeText(s.process.exe ?? "?")}${s.process.exeDeleted ? " (deleted)" : ""}`);
      add("Command line", s.process.cmdline === null ? "?" : safeText(s.process.cmdline.join(" ")));
      if (s.process.containerId) add("Container", safeText(s.process.containerId));
      const up = ancestryText(s.process);
      if (up !== null) add("Started by", up);
      if (s.process.unit) add("Unit", safeText(s.process.unit));
      if (s.process.tty) add("Terminal", safeText(s.process.tty));
    }
    add("User", userText(s));
    if (s.sharedWith.length > 0) add("Shared with", s.sharedWith.map(processText).join(", "));
    if (s.netns !== null) add("Network namespace", String(s.netns));
    add("Sockets with this identity", String(data.count));
  }
  if (data.process.length > 0) {
    const listening = data.process.filter((x) => x.direction === "listening");
    const other = data.process.filter((x) => x.direction !== "listening");
    add("This process listens on", listening.map((x) => `${listenerText(x.identity)} (${x.verdict})`).join(", ") || "nothing");
    add("This process's connections", other.map((x) => `${safeText(x.identity)} ×${x.count} (${x.verdict})`).join("; ") || "none");
  }
  const h = data.history;
  if (h) add("History", safeText(`first seen ${h.firstSeen}, last seen ${h.lastSeen}, seen ${h.timesSeen} times, owners: ${h.owners.join(", ")}`));
  return [dl, el("h2", "JSON"), el("pre", s ? jsonSafe(JSON.stringify(s, null, 2)) : "null")];
}
