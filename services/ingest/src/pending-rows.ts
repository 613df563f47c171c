/** Node's Buffer has a latin1 writer without `write`'s argument juggling; not in the type definitions. */
type Latin1Writer = { latin1Write?: (text: string, offset: number) => number };
const latin1Write: (buf: Buffer, text: string, offset: number) => number =
  typeof (Buffer.prototype as Latin1Writer).latin1Write === 'function'
    ? (buf, text, offset) => (buf as Latin1Writer & Buffer).latin1Write?.(text, offset) as number
    : (buf, text, offset) => buf.write(text, offset, 'latin1');

/** Writes a non-negative safe integer's decimal digits at `at`; returns the end. */
function writeDigits(buf: Buffer, n: number, at: number): number {
  let digits = 1;
  for (let p = 10; p <= n; p *= 10) digits++;
  const end = at + digits;
  for (let i = end - 1; i >= at; i--) {
    const q = Math.floor(n / 10);
    buf[i] = 0x30 + (n - q * 10);
    n = q;
  }
  return end;
}

/**
 * One device's accepted readings that the ledger has not committed yet, kept as the index's own
 * text (`\n<ts> <field set>` per reading, in acceptance order) in a byte buffer.
 *
 * Why bytes and not arrays of strings: the rows live until the journal segment that holds them is
 * written to InfluxDB and the ledger commits (up to about a second), long enough for strings to
 * survive the young generation and be copied and promoted by the garbage collector, which cost
 * more than the ledger's own work. A buffer holds them outside the JS heap, and a commit hands it to SQLite as
 * it is (one chunk row per device and commit) without building any text.
 *
 * Field sets are ASCII (numbers, `true`/`false` and names the schema restricts to `[a-z0-9_]`), so
 * one byte per character is exact.
 */
export class PendingRows {
  private buf: Buffer;
  private len = 0;
  /** Readings held. */
  count = 0;
  minTs = Number.POSITIVE_INFINITY;
  maxTs = Number.NEGATIVE_INFINITY;
  /** Whether each reading was newer than the one before: the text is then sorted by time. */
  ordered = true;

  constructor(initialBytes = 1024) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  push(tsMs: number, fields: string) {
    // A timestamp takes at most 21 characters, plus the newline and the space.
    const need = this.len + 23 + fields.length;
    if (need > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(need, this.buf.length * 2));
      this.buf.copy(grown, 0, 0, this.len);
      this.buf = grown;
    }
    const buf = this.buf;
    let at = this.len;
    buf[at++] = 0x0a;
    if (tsMs >= 0 && Number.isSafeInteger(tsMs)) at = writeDigits(buf, tsMs, at);
    else at += buf.write(String(tsMs), at, 'latin1');
    buf[at++] = 0x20;
    at += latin1Write(buf, fields, at);
    this.len = at;
    this.count++;
    if (tsMs <= this.maxTs) this.ordered = false;
    else this.maxTs = tsMs;
    if (tsMs < this.minTs) this.minTs = tsMs;
  }

  /** The field set held for `tsMs`, if any (a device's timestamp is held at most once). */
  find(tsMs: number): string | undefined {
    return findInText(this.text(), tsMs);
  }

  /** The rows as index text; valid until the next `push`. */
  text(): Buffer {
    return this.buf.subarray(0, this.len);
  }
}

/** Looks a timestamp up in index text (`\n<ts> <field set>` lines), as a string or as bytes. */
export function findInText(text: string | Buffer, tsMs: number): string | undefined {
  const needle = `\n${tsMs} `;
  const at = text.indexOf(needle);
  if (at < 0) return undefined;
  const from = at + needle.length;
  if (typeof text === 'string') {
    const end = text.indexOf('\n', from);
    return text.slice(from, end < 0 ? undefined : end);
  }
  const end = text.indexOf(0x0a, from);
  return text.toString('latin1', from, end < 0 ? text.length : end);
}

/** The (timestamp, field set) rows of index text, in its order. */
export function rowsOfText(text: string | Buffer): { ts: number[]; fields: string[] } {
  const s = typeof text === 'string' ? text : text.toString('latin1');
  const ts: number[] = [];
  const fields: string[] = [];
  for (const line of s.split('\n')) {
    const space = line.indexOf(' ');
    if (space < 0) continue;
    ts.push(Number(line.slice(0, space)));
    fields.push(line.slice(space + 1));
  }
  return { ts, fields };
}
