// CSV rows of the lists portwatch reads (abuse.ch's CSV, the ip-location-db ASN data).

/** Splits one CSV row: quotes, doubled quotes inside them; unquoted fields as they are (trailing spaces kept). */
export function csvRow(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let field = "";
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) { field += line.slice(i); i = line.length; break; }
        field += line.slice(i, q);
        if (line[q + 1] === '"') { field += '"'; i = q + 2; } else { i = q + 1; break; }
      }
      out.push(field);
      const comma = line.indexOf(",", i);
      i = comma < 0 ? line.length + 1 : comma + 1;
    } else {
      const comma = line.indexOf(",", i);
      out.push(comma < 0 ? line.slice(i) : line.slice(i, comma));
      i = comma < 0 ? line.length + 1 : comma + 1;
    }
  }
  return out;
}
