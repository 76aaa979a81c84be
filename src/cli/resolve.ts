import { Resolver } from "node:dns/promises";
import type { Socket } from "../model/socket.js";

/**
 * Names remote addresses by reverse DNS, as `netstat` does without -n: lookups run concurrently (at most
 * 16 at a time), each bounded by `timeoutMs`, each address asked once; at most `max` addresses.
 * Sets `remote.host` where a name was found; returns how many addresses were left unnamed.
 */
export async function resolveRemotes(sockets: readonly Socket[], options: { timeoutMs?: number; max?: number } = {}): Promise<number> {
  const resolver = new Resolver({ timeout: options.timeoutMs ?? 1500, tries: 1 });
  const addresses = [...new Set(sockets.map((s) => s.remote?.address).filter((a): a is string => !!a && a !== "0.0.0.0" && a !== "::"))];
  const todo = addresses.slice(0, options.max ?? 512);
  const names = new Map<string, string>();
  let next = 0;
  const worker = async () => {
    while (next < todo.length) {
      const address = todo[next++] as string;
      const plain = address.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address;
      try {
        const [name] = await resolver.reverse(plain);
        if (name) names.set(address, name);
      } catch { /* no name: keep the number */ }
    }
  };
  await Promise.all(Array.from({ length: Math.min(16, todo.length) }, worker));
  resolver.cancel();
  for (const s of sockets) {
    const host = s.remote ? names.get(s.remote.address) : undefined;
    if (s.remote && host) s.remote = { ...s.remote, host };
  }
  return addresses.length - names.size;
}
