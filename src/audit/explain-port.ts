import { InputError } from "../model/errors.js";
import type { PortFacts } from "../report/render-explain.js";
import type { Auditor } from "./auditor.js";

export type { PortFacts };

/**
 * What portwatch knows about "631", "38142/udp", "mdns" or "ipp/tcp": for each protocol, the service name,
 * portwatch's own entry and the indicators. Without a protocol, UDP is shown only when there is something
 * to say about it. An InputError when `what` is no port or no known name.
 */
export function explainPort(auditor: Auditor, what: string): PortFacts[] {
  const { registry, knowledge } = auditor;
  const m = /^([^/\s]+)(?:\/(tcp|udp))?$/i.exec(what.trim());
  if (!m) throw new InputError(`Cannot explain "${what}": expected a port (631), a port and protocol (38142/udp) or a service name (mdns)`);
  const [, key = "", protoText] = m;
  const protos = protoText ? [protoText.toLowerCase() as "tcp" | "udp"] : (["tcp", "udp"] as const);
  const facts: PortFacts[] = [];
  for (const proto of protos) {
    let port: number | null;
    if (/^\d+$/.test(key)) {
      port = Number(key);
      if (port > 65535) throw new InputError(`Cannot explain "${what}": ports go from 0 to 65535`);
    } else {
      port = registry.port(key.toLowerCase(), proto) ?? knowledge.entries.find((e) => e.name === key.toLowerCase() && (e.proto === proto || e.proto === "both"))?.port ?? null;
    }
    if (port === null) continue;
    const entry = knowledge.port(port, proto);
    const indicators = knowledge.indicators(port, proto);
    if (!protoText && protos.length === 2 && proto === "udp" && facts.length > 0 && !entry && indicators.length === 0) continue;
    facts.push({ port, proto, serviceName: registry.name(port, proto), entry, indicators });
  }
  if (facts.length === 0) throw new InputError(`Cannot explain "${what}": no port is registered under that name (try a number, like 631)`);
  return facts;
}
