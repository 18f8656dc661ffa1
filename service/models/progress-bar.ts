/**
 * A progress bar for long byte transfers (downloads, conversions), written to stderr: bytes done of total, rate and
 * ETA. On a terminal it is one line redrawn in place, cut to the terminal's width (a wrapped line cannot be redrawn);
 * in a log it is a plain line every few seconds and one at the end, so logs stay short.
 */

export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressBarOptions {
  /** Milliseconds since some fixed point; injected by tests. */
  now?: () => number;
  /** Shortest time between two redraws on a terminal. */
  redrawMs?: number;
  /** Shortest time between two lines in a log. */
  lineMs?: number;
}

/** The rate is measured over this window: recent enough to follow a changing link, long enough not to flicker. */
const RATE_WINDOW_MS = 5_000;
/** One sample per this many ms is enough for the rate (updates come per network chunk, thousands a second). */
const SAMPLE_MS = 100;
const BAR_WIDTH = 24;

export class ByteProgressBar {
  private readonly now: () => number;
  private readonly redrawMs: number;
  private readonly lineMs: number;
  private samples: { at: number; bytes: number }[] = [];
  private latest: { at: number; bytes: number } | undefined;
  private lastWrite = -Infinity;
  private drawn = false;
  private finished = false;

  constructor(
    private readonly stream: ProgressStream,
    options: ProgressBarOptions = {},
  ) {
    this.now = options.now ?? (() => performance.now());
    this.redrawMs = options.redrawMs ?? 100;
    this.lineMs = options.lineMs ?? 10_000;
  }

  /**
   * `movedBytes`: the bytes this run actually moved, when some of `doneBytes` were there already (files a
   * previous run finished): the rate and ETA come from those, not from the jump.
   */
  update(doneBytes: number, totalBytes: number, label = '', movedBytes = doneBytes): void {
    const at = this.now();
    // Bytes going down (a download restarting from zero) would make a negative rate: measure afresh.
    if (this.latest && movedBytes < this.latest.bytes) this.samples = [];
    this.latest = { at, bytes: movedBytes };
    const last = this.samples.at(-1);
    if (!last || at - last.at >= SAMPLE_MS) this.samples.push(this.latest);
    while (this.samples.length > 2 && at - this.samples[1]!.at >= RATE_WINDOW_MS) this.samples.shift();

    const complete = doneBytes >= totalBytes;
    if (complete && this.finished) return;
    if (!complete && at - this.lastWrite < (this.stream.isTTY ? this.redrawMs : this.lineMs)) return;
    this.lastWrite = at;
    this.finished = complete;
    const line = formatProgressLine({ doneBytes, totalBytes, bytesPerSecond: this.bytesPerSecond(), label });
    if (this.stream.isTTY) {
      const width = Math.max(20, (this.stream.columns || 80) - 1); // 0 columns: a pseudo-terminal that never said
      this.stream.write(`\r${line.slice(0, width)}\x1b[K`);
      this.drawn = true;
    } else {
      this.stream.write(`${line}\n`);
    }
  }

  /** Ends the redrawn line, so what is printed next starts on its own. */
  done(): void {
    if (this.drawn) this.stream.write('\n');
    this.drawn = false;
  }

  /** Bytes per second over the last few seconds; undefined until there is something to measure. */
  bytesPerSecond(): number | undefined {
    const first = this.samples[0];
    const last = this.latest;
    if (!first || !last || last.at - first.at <= 0) return undefined;
    return ((last.bytes - first.bytes) * 1000) / (last.at - first.at);
  }
}

export function formatProgressLine(p: { doneBytes: number; totalBytes: number; bytesPerSecond: number | undefined; label: string }): string {
  const fraction = p.totalBytes > 0 ? Math.min(1, p.doneBytes / p.totalBytes) : 1;
  const filled = Math.round(fraction * BAR_WIDTH);
  const parts = [
    `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}]`,
    `${(fraction * 100).toFixed(0).padStart(3)}%`,
    `${formatBytes(p.doneBytes)} / ${formatBytes(p.totalBytes)}`,
  ];
  const rate = p.bytesPerSecond;
  if (rate !== undefined && rate > 0) {
    parts.push(`${formatBytes(rate)}/s`);
    if (fraction < 1) parts.push(`ETA ${formatDuration((p.totalBytes - p.doneBytes) / rate)}`);
  }
  if (p.label) parts.push(p.label);
  return parts.join('  ');
}

/** Decimal units, as the hub shows file sizes: 6.94 GB. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return unit === 0 ? `${value.toFixed(0)} B` : `${value.toFixed(value < 10 ? 2 : value < 100 ? 1 : 0)} ${units[unit]}`;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
