import { explainPort } from "../audit/explain-port.js";
import { renderExplain } from "../report/render-explain.js";
import { auditorOnce } from "./context.js";
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
  const auditor = auditorOnce();
  const facts = explainPort(auditor, what);
  let live = null;
  if (options.live !== false) {
    const look = await auditor.lookAtHost({ ...(options.procRoot ? { procRoot: options.procRoot } : {}), policy: await readPolicy(options.policy) });
    live = look.sockets.filter((s) => facts.some((f) => f.proto === s.proto &&
      (s.local.port === f.port || (s.direction === "outbound" && s.remote?.port === f.port))));
  }
  io.out(renderExplain(facts, live));
  return 0;
}
