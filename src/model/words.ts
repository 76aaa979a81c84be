/** "1 socket", "2 sockets": a count with its noun in the right number (`plural` when not noun + "s"). */
export function count(n: number, noun: string, plural = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : plural}`;
}

/**
 * 210061 as "210,061", as toLocaleString("en") writes a whole number, without it: its first call loads
 * ICU's number formats, 15 ms of an audit that warns about a big namespace.
 */
export function thousands(n: number): string {
  if (!Number.isSafeInteger(n)) return String(n);
  const digits = String(Math.abs(n));
  let out = "";
  for (let i = digits.length; i > 0; i -= 3) out = digits.slice(Math.max(0, i - 3), i) + (out === "" ? "" : `,${out}`);
  return n < 0 ? `-${out}` : out;
}

/**
 * The same text as one flat string. A text built with + is a tree of its pieces in V8 (32 bytes a piece): a tree
 * used inside other texts is walked again each time they are written out (a process's JSON, some 100 pieces, in
 * each of its 10,000 sockets cost 0.6 s at 100k sockets), and one kept is kept piece by piece (an explanation,
 * some 30 pieces, is 1 KiB as a tree and 300 bytes flat). Reading a character flattens it, once.
 */
export function flatText(s: string): string {
  s.charCodeAt(0);
  return s;
}
