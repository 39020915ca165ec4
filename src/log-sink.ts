// Lines written in batches: one write per ~200 ms or 64 KiB instead of one per line, so that an
// access log under load costs a string per exchange, not a system call per exchange.

const FLUSH_MS = 200;
const FLUSH_BYTES = 64 * 1024;

export class LineSink {
  private parts: string[] = [];
  private size = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly write: (text: string) => void) {}

  line(text: string): void {
    this.parts.push(text);
    this.size += text.length + 1;
    if (this.size >= FLUSH_BYTES) this.flush();
    else if (this.timer === null) {
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
