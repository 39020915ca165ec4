// The part of a socket the proxy's plumbing calls. Bun's `Socket` satisfies it as is; naming it here
// lets the connection, outbox, splice and upstream code be driven by a fake socket in unit tests.

export interface ByteSocket {
  /** Bytes the kernel accepted (fewer on a short write), or negative when the socket is closed. */
  write(data: Uint8Array): number;
  /** Stop reading: no `data` events until `resume`. */
  pause(): void;
  resume(): void;
  /** Close after what is written (FIN; the socket is done both ways). */
  end(): void;
  /** Half-close: FIN on the write side, reading goes on. */
  shutdown(): void;
  /** Close at once (RST if bytes are unsent). */
  terminate(): void;
  readonly remoteAddress: string;
  /** The proxy's own port of this connection (X-Forwarded-Port). */
  readonly localPort: number;
}
