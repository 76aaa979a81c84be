/**
 * A value as one word of a POSIX shell command, to paste as it is: left bare when it holds only
 * characters no shell treats specially ("/usr/sbin/cupsd", "TCP:631"), else in single quotes, inside
 * which nothing is special, with each ' written as '\'' ("/tmp/x;touch /tmp/pwned" → '/tmp/x;touch
 * /tmp/pwned'). So a command portwatch suggests runs what it says, whatever a path or a name holds.
 */
export function shellQuote(value: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) return value;
  return `'${value.replace(/'/g, "'\\''")}'`;
}
