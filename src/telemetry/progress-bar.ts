/**
 * A one-line progress bar for a terminal: bytes done of total, throughput, file name. Redrawn at
 * most ten times a second; callers only create it when stderr is a TTY.
 */
export class ProgressBar {
  private lastDraw = 0;
  private readonly started = performance.now();

  constructor(private readonly stream: NodeJS.WriteStream, private readonly label: string) {}

  update(done: number, total: number, force = false): void {
    const now = performance.now();
    if (!force && now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const width = 30;
    const ratio = total > 0 ? Math.min(1, done / total) : 1;
    const filled = Math.round(ratio * width);
    const seconds = Math.max(0.001, (now - this.started) / 1000);
    const rate = done / seconds / 1e6;
    const line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(ratio * 100).toFixed(0).padStart(3)}% `
      + `${(done / 1e6).toFixed(1)}/${(total / 1e6).toFixed(1)} MB ${rate.toFixed(1)} MB/s ${this.label}`;
    this.stream.write(`\r${line.slice(0, (this.stream.columns ?? 120) - 1)}\x1b[K`);
  }

  done(): void {
    this.stream.write('\r\x1b[K');
  }
}
