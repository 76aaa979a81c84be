/*
 * The kernel's TCP counters of one network namespace, as /proc/<pid>/net/snmp, sockstat and sockstat6 print
 * them: what a watcher's glance at a namespace (collect/netlink-dumps.ts glanceNamespace) reads instead of
 * dumping 200,000 connections to learn that none came or went.
 *
 * Every way a TCP socket enters the kernel's connection tables moves a counter that only grows: a connect()
 * (ActiveOpens, when its SYN goes out), an accepted connection (PassiveOpens). Every way one leaves them
 * moves a count: `inuse` (sockstat: TCP, TCP6), `tw` (TIME_WAIT), or a counter that only grows (AttemptFails,
 * EstabResets). An ESTABLISHED socket closing changes CurrEstab. So equal counters at two moments mean the same
 * connections then, in all but a state that counts nowhere (ESTABLISHED to CLOSE_WAIT, FIN_WAIT1 to FIN_WAIT2)
 * and a half-open connection (SYN_RECV: counted once its handshake completes): the watcher compares its dumps
 * in full every few looks, at random, for those (OwnerCache.glancesLeft). So does a socket made in TCP repair
 * mode (CAP_NET_ADMIN: CRIU restoring a connection, or an attacker who has it), which moves no open counter.
 */

/** The Tcp fields of /proc/net/snmp that a glance compares. */
const SNMP_FIELDS = ["ActiveOpens", "PassiveOpens", "AttemptFails", "EstabResets", "CurrEstab"] as const;

/**
 * The counters of `snmp`, `sockstat` and `sockstat6` (the texts of those /proc/net files) as one text to
 * compare; null when one is missing or not as the kernel prints it (then a glance proves nothing).
 */
export function tcpCounters(snmp: string, sockstat: string, sockstat6: string): string | null {
  const tcp = snmp.split("\n").filter((line) => line.startsWith("Tcp: "));
  if (tcp.length !== 2) return null;
  const names = (tcp[0] as string).trim().split(/\s+/), values = (tcp[1] as string).trim().split(/\s+/);
  if (names.length !== values.length) return null;
  const out: string[] = [];
  for (const field of SNMP_FIELDS) {
    const value = values[names.indexOf(field)];
    if (value === undefined || !/^-?\d+$/.test(value)) return null;
    out.push(value);
  }
  const v4 = /^TCP: inuse (\d+) orphan (\d+) tw (\d+)/m.exec(sockstat);
  const v6 = /^TCP6: inuse (\d+)/m.exec(sockstat6);
  if (v4 === null || v6 === null) return null;
  out.push(v4[1] as string, v4[2] as string, v4[3] as string, v6[1] as string);
  return out.join(" ");
}
