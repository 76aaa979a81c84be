/*
 * /etc/services (netbase), one service per line, aliases after the port, comments after '#':
 *   http            80/tcp          www             # WorldWideWeb HTTP
 *   ircd            6667/tcp                        # Internet Relay Chat
 */

/** One port/protocol → name mapping from a services file. */
export interface ServiceEntry {
  port: number;
  proto: "tcp" | "udp";
  name: string;
  aliases: string[];
}

/** Parses /etc/services text; lines that are not `name port/proto [aliases]` are skipped (and counted); sctp and ddp entries are left out. */
export function parseEtcServices(text: string): { records: ServiceEntry[]; skipped: number } {
  const records: ServiceEntry[] = [];
  let skipped = 0;
  for (const raw of text.split("\n")) {
    const hash = raw.indexOf("#");
    const line = (hash >= 0 ? raw.slice(0, hash) : raw).trim();
    if (line === "") continue;
    const [name, portProto, ...aliases] = line.split(/\s+/);
    const m = portProto === undefined ? null : /^(\d{1,5})\/([a-z]+)$/.exec(portProto);
    const port = m ? Number(m[1]) : -1;
    if (!name || !m || port > 65535) { skipped++; continue; }
    if (m[2] !== "tcp" && m[2] !== "udp") continue; // sctp, ddp: protocols portwatch does not list
    records.push({ port, proto: m[2] as "tcp" | "udp", name, aliases });
  }
  return { records, skipped };
}
