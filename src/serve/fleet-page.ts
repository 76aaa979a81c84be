import type { FleetHost } from "../model/fleet.js";
import { safeText } from "../report/safe-text.js";
import { timeText } from "../report/time-text.js";

/** Text for HTML: the five characters that could open markup or end an attribute, as entities. */
function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** What is shown of a host's text: control characters as \xNN (safeText), then escaped for HTML. */
const shown = (text: string) => escapeHtml(safeText(text));

/** The link to one host's view: the dashboard's own page under /host/ID/. */
export function hostPath(hostId: string): string {
  return `/host/${encodeURIComponent(hostId)}/`;
}

/**
 * The fleet view's first page (`portwatch serve --store`): every host of the store with its last look,
 * its identities per verdict and whether it reports, each linking to its own view. Made on the server
 * as plain HTML (no script; the dashboard's style sheet), from FleetReader.hosts().
 */
export function renderFleetPage(hosts: readonly FleetHost[], place: string): string {
  const rows = hosts.map((h) => {
    const status = h.notReportingSince !== null ? `<td class="red">not reporting since ${shown(timeText(h.notReportingSince))}</td>` : "<td>reporting</td>";
    return `<tr data-host-id="${shown(h.hostId)}"><td><a href="${escapeHtml(hostPath(h.hostId))}">${shown(h.hostname)}</a></td><td class="mono">${shown(h.hostId)}</td>`
      + `<td>${shown(timeText(h.lastLook))}</td><td class="num green">${h.counts.expected}</td><td class="num yellow">${h.counts.unknown}</td>`
      + `<td class="num red">${h.counts.suspicious}</td>${status}</tr>`;
  }).join("\n");
  const away = hosts.filter((h) => h.notReportingSince !== null).length;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>portwatch fleet</title>
<link rel="stylesheet" href="/app.css">
</head>
<body>
<header><h1>portwatch fleet</h1><span id="status" role="status">${hosts.length} host(s) in ${shown(place)}${away > 0 ? `, ${away} not reporting` : ""} · read-only · reload for newer looks</span></header>
<main class="fleet">
<table id="hosts">
<thead><tr><th>Host</th><th>Host id</th><th>Last look</th><th>Expected</th><th>Unknown</th><th>Suspicious</th><th>Reporting</th></tr></thead>
<tbody>
${rows || '<tr><td colspan="7" class="hint">No host has written a look yet: start watchers with "portwatch watch --store URL".</td></tr>'}
</tbody>
</table>
<p class="hint">Counts are identities of each host's last look. A host is not reporting when its last look is older than five of its intervals.</p>
</main>
</body>
</html>
`;
}
