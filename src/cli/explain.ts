import { InputError } from "../model/errors.js";
import { renderExplain, type PortFacts } from "../report/render-explain.js";
import { knowledgeOnce, lookAtHost, registryOnce } from "./audit.js";
import type { Output } from "./output.js";
import { readPolicy } from "./policy-file.js";

/** Options of `portwatch explain`. */
export interface ExplainOptions {
  live?: boolean;
  procRoot?: string;
  policy?: string;
}

/**
 * `portwatch explain 631 | 38142/udp | mdns | ipp/tcp`: what the port is, who usually opens it, whether
 * that is normal, what to check, and (on a live host) who holds it now with its verdict.
 */
export async function runExplain(what: string, options: ExplainOptions, io: Output): Promise<number> {
  const registry = registryOnce();
  const knowledge = knowledgeOnce();
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
    // Without a protocol, show the other one only when there is something to say about it.
    if (!protoText && protos.length === 2 && proto === "udp" && facts.length > 0 && !entry && indicators.length === 0) continue;
    facts.push({ port, proto, serviceName: registry.name(port, proto), entry, indicators });
  }
  if (facts.length === 0) throw new InputError(`Cannot explain "${what}": no port is registered under that name (try a number, like 631)`);
  let live = null;
  if (options.live !== false) {
    const look = await lookAtHost({ ...(options.procRoot ? { procRoot: options.procRoot } : {}), policy: await readPolicy(options.policy) });
    live = look.sockets.filter((s) => facts.some((f) => f.proto === s.proto &&
      (s.local.port === f.port || (s.direction === "outbound" && s.remote?.port === f.port))));
  }
  io.out(renderExplain(facts, live));
  return 0;
}
