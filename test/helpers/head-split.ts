// Splits a raw HTTP response stream into its head (kept as text) and body bytes (passed on), for
// clients that check large bodies without keeping them.

export class HeadSplitter {
  head = "";

  get complete(): boolean {
    return this.head.endsWith("\r\n\r\n");
  }

  /** The body bytes in `b` (everything once the head is complete), or null while it is not. */
  feed(b: Uint8Array): Uint8Array | null {
    if (this.complete) return b;
    const text = Buffer.from(b).toString("latin1");
    const end = (this.head + text).indexOf("\r\n\r\n");
    if (end === -1) {
      this.head += text;
      return null;
    }
    const body = b.subarray(end + 4 - this.head.length);
    this.head = (this.head + text).slice(0, end + 4);
    return body;
  }
}
