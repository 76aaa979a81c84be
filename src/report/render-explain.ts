import { ownerAdvice } from "../evaluate/explain.js";
import type { IndicatorHit } from "../knowledge/knowledge.js";
import type { PortEntry } from "../knowledge/schema.js";
import type { Socket } from "../model/socket.js";
import { safeText } from "./safe-text.js";
import { formatEndpoint, ownerText, protoText, reasonText } from "./socket-text.js";

/** What `portwatch explain` knows about one port and protocol. */
export interface PortFacts {
  port: number;
  proto: "tcp" | "udp";
  /** The registry's name (IANA, /etc/services, curated), if any. */
  serviceName: string | null;
  entry: PortEntry | null;
  indicators: readonly IndicatorHit[];
}

const NORMAL = {
  desktop: "usual on a default desktop install",
  server: "usual on a default server install",
  both: "usual on default desktop and server installs",
  none: "not part of a default install: it is there because someone installed or started it",
} as const;
const SCOPE = {
  loopback: "should stay on this computer (listen on 127.0.0.1 or ::1 only)",
  lan: "meant for the local network; should not face the Internet",
  any: "may be reached from anywhere, when the service is meant to be public",
} as const;

/** The text of `portwatch explain`: what each port is, who usually opens it, what to check, and who holds it now. */
export function renderExplain(facts: readonly PortFacts[], live: readonly Socket[] | null): string {
  const out: string[] = [];
  for (const f of facts) {
    out.push(`${f.port}/${f.proto}${f.serviceName ? `  ${safeText(f.serviceName)}` : ""}`);
    if (f.entry) {
      out.push(`  What:        ${f.entry.what}`);
      const owners = f.entry.owners.filter((o) => o !== "kernel");
      if (owners.length || f.entry.owners.includes("kernel")) out.push(`  Usually:     ${[...owners, ...(f.entry.owners.includes("kernel") ? ["the kernel itself (no process)"] : [])].join(", ")}`);
      out.push(`  Normal?      ${NORMAL[f.entry.normal]}`);
      out.push(`  Reach:       ${SCOPE[f.entry.scope]}`);
      if (f.entry.ifExposed) out.push(`  If exposed:  ${f.entry.ifExposed}`);
    } else {
      out.push(`  What:        ${f.serviceName ? `IANA registers it as "${safeText(f.serviceName)}", but` : "It is not a registered or well-known service, and"} portwatch knows nothing more about it`);
      out.push(`  To check:    ${ownerAdvice(f.port, f.proto, "live")}, then look up that program`);
    }
    for (const hit of f.indicators) {
      const also = hit.entry.collisions?.map((c) => `${c.note} (${c.owners.join(", ")})`).join("; ");
      out.push(`  Warning:     a known ${hit.title}: ${hit.entry.name}; ${hit.why} (source: ${hit.entry.source})${also ? `. Also used legitimately: ${also}` : ""}`);
    }
    out.push("");
  }
  if (live !== null) {
    out.push(live.length === 0 ? "On this computer now: nothing uses this port." : "On this computer now:");
    for (const s of live) {
      out.push(`  ${protoText(s)} ${formatEndpoint(s.local)} -> ${formatEndpoint(s.remote)} ${s.state}, ${ownerText(s)}: ${s.verdict.toUpperCase()}`);
      for (const r of s.reasons) out.push(`      ↳ ${reasonText(r)}`);
    }
  }
  return out.join("\n") + "\n";
}
