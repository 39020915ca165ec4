// Giving back the memory a burst of traffic leaves behind. Every socket read is a fresh Buffer, and
// the JS engine collects only when more allocation asks it to: a proxy that goes quiet after a
// burst allocates nothing more, so its dead buffers stay resident (300 slow readers gone, 149 MiB of
// ArrayBuffers were still held 16 s later; one full collection gave all of it back). So the garbage
// is estimated, and once it is enough and traffic has calmed down, one full collection runs. Its
// asynchronous form (`Bun.gc(false)`) frees nothing on an idle process, hence the synchronous one,
// which takes a few milliseconds on the proxy's small heap and runs only when there is little to do.
// Accepted connections count too: 5,000 clients that each sent one small request and then stayed
// idle left about 0.5 KiB each uncollected (RSS per idle connection 3.7 KiB instead of 3.2, row f of
// `bun run bench`), though they relayed little.

/** Estimated garbage that makes a quiet spell collect: what is left uncollected stays below it. */
const ENOUGH_BYTES = 4 * 1024 * 1024;
/** What a closed socket may leave: a read waiting for a stalled peer (see upstream.ts). */
const PER_CLOSE_BYTES = 64 * 1024;
/** What accepting a connection and reading its first request leaves (objects, strings, the reads). */
const PER_OPEN_BYTES = 1024;
/** Checked this often, so that a burst's garbage goes within half a second of the burst ending. */
const CHECK_MS = 250;
/** Fewer bytes relayed than this in one check interval (1 MiB/s) is quiet; while busy the engine collects. */
const QUIET_BYTES = 256 * 1024;

let garbage = 0;
let relayed = 0;
let relayedAtCheck = 0;
let timer: ReturnType<typeof setInterval> | null = null;

function check(): void {
  const recent = relayed - relayedAtCheck;
  relayedAtCheck = relayed;
  if (garbage < ENOUGH_BYTES || recent >= QUIET_BYTES) return;
  garbage = 0;
  Bun.gc(true);
}

function add(bytes: number): void {
  garbage += bytes;
  if (timer !== null) return;
  timer = setInterval(check, CHECK_MS);
  timer.unref();
}

/** Bytes passed on to a socket: each became a buffer that is garbage once written. */
export function noteRelayed(bytes: number): void {
  relayed += bytes;
  add(bytes);
}

/** A socket closed: whatever it still held is garbage now. */
export function noteClosed(): void {
  add(PER_CLOSE_BYTES);
}

/** A client connection was accepted: its set-up and first request leave garbage behind. */
export function noteOpened(): void {
  add(PER_OPEN_BYTES);
}
