import { execFileSync } from "node:child_process";

/**
 * Runs `body` in a network namespace the test makes: `pw<name><pid>`, its lo up, then each of `setup` run as
 * `ip -n NS ...` (addresses, routes); deleted afterwards, whatever `body` did. Needs root.
 */
export async function withNetns<T>(name: string, setup: readonly (readonly string[])[], body: (ns: string) => Promise<T>): Promise<T> {
  const ns = `pw${name}${process.pid}`;
  execFileSync("ip", ["netns", "add", ns]);
  try {
    for (const args of [["link", "set", "lo", "up"], ...setup]) execFileSync("ip", ["-n", ns, ...args]);
    return await body(ns);
  } finally {
    execFileSync("ip", ["netns", "del", ns]);
  }
}
