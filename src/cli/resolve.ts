import { Resolver } from "node:dns/promises";
import type { Socket } from "../model/socket.js";

/** Options of `resolveRemotes`. */
export interface ResolveOptions {
  /** Milliseconds one lookup may take: default 1500. */
  timeoutMs?: number;
  /** At most this many addresses are looked up: default 512. */
  max?: number;
  /** At most this many lookups at a time: default 16. */
  concurrency?: number;
  /** The reverse lookup (default: DNS PTR through node:dns, one try). */
  reverse?: (address: string) => Promise<string[]>;
}

/**
 * Names remote addresses by reverse DNS, as `netstat` does without -n: each address is asked once,
 * lookups run concurrently, and each is bounded in time. Sets `remote.host` where a name was found;
 * returns how many addresses were left unnamed.
 */
export async function resolveRemotes(sockets: readonly Socket[], options: ResolveOptions = {}): Promise<number> {
  const timeoutMs = options.timeoutMs ?? 1500;
  let resolver: Resolver | null = null;
  const reverse = options.reverse ?? ((a: string) => (resolver ??= new Resolver({ timeout: timeoutMs, tries: 1 })).reverse(a));
  const addresses = [...new Set(sockets.map((s) => s.remote?.address).filter((a): a is string => !!a && a !== "0.0.0.0" && a !== "::"))];
  const todo = addresses.slice(0, options.max ?? 512);
  const names = new Map<string, string>();
  let next = 0;
  const worker = async () => {
    while (next < todo.length) {
      const address = todo[next++] as string;
      const plain = address.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address;
      let timer: NodeJS.Timeout | undefined;
      try {
        const timeout = new Promise<never>((_, fail) => { timer = setTimeout(() => fail(new Error("timeout")), timeoutMs); });
        const [name] = await Promise.race([reverse(plain), timeout]);
        if (name) names.set(address, name);
      } catch { /* no name or too slow: keep the number */ } finally {
        clearTimeout(timer);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 16, todo.length) }, worker));
  (resolver as Resolver | null)?.cancel();
  for (const s of sockets) {
    const host = s.remote ? names.get(s.remote.address) : undefined;
    if (s.remote && host) s.remote = { ...s.remote, host };
  }
  return addresses.length - names.size;
}
