// Lines written in batches: one write per ~200 ms or per 4 KiB instead of one per line, so that an
// access log under load costs a string per exchange, not a system call per exchange. A batch never
// passes PIPE_BUF (4096 bytes) unless one line alone does: with --workers every worker writes to
// the same inherited stdout, and the kernel keeps a pipe write that small in one piece, so lines
// of two workers never interleave.

const FLUSH_MS = 200;
const PIPE_BUF = 4096;

export class LineSink {
  private parts: string[] = [];
  private size = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly write: (text: string) => void) {}

  line(text: string): void {
    const bytes = Buffer.byteLength(text) + 1;
    if (this.size + bytes > PIPE_BUF) this.flush();
    this.parts.push(text);
    this.size += bytes;
    if (this.timer === null) {
      this.timer = setTimeout(() => this.flush(), FLUSH_MS);
      // A pending batch never keeps the process alive; stop() flushes it.
      this.timer.unref();
    }
  }

  flush(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (this.parts.length === 0) return;
    const text = this.parts.join("\n") + "\n";
    this.parts = [];
    this.size = 0;
    this.write(text);
  }
}
