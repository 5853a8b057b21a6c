/**
 * Pull progress: on a terminal one bar per layer, redrawn in place (ANSI cursor-up + erase
 * line, as `docker pull` does); otherwise one plain line per layer status change, so logs and
 * tests read it line by line.
 */
import type { PullProgress } from '@berth/runtime';
import { humanSize, shortDigest } from './format.js';

export interface ProgressSink {
  write(text: string): void;
}

const LABEL: Record<PullProgress['status'], string> = {
  waiting: 'Waiting',
  downloading: 'Downloading',
  exists: 'Already exists',
  done: 'Download complete',
  retrying: 'Retrying',
  failed: 'Failed',
};

interface LayerState {
  id: string;
  status: PullProgress['status'];
  downloaded: number;
  total: number;
}

export function bar(done: number, total: number, width = 40): string {
  const frac = total > 0 ? Math.min(1, done / total) : 1;
  const full = Math.floor(frac * width);
  const head = full < width ? '>' : '';
  return `[${'='.repeat(full)}${head}${' '.repeat(Math.max(0, width - full - head.length))}]`;
}

export class PullProgressView {
  private readonly layers = new Map<string, LayerState>();
  private drawn = 0;
  private lastDraw = 0;

  constructor(
    private readonly out: ProgressSink,
    private readonly tty: boolean,
    private readonly now: () => number = Date.now,
  ) {}

  /** Feed every PullProgress event here. */
  update(e: PullProgress): void {
    const id = shortDigest(e.layer);
    const prev = this.layers.get(e.layer);
    const next: LayerState = { id, status: e.status, downloaded: e.downloaded, total: e.total };
    this.layers.set(e.layer, next);
    if (!this.tty) {
      if (prev?.status !== e.status) this.out.write(`${id}: ${LABEL[e.status]}${e.status === 'done' || e.status === 'exists' ? ` ${humanSize(e.total)}` : ''}\n`);
      return;
    }
    const final = e.status !== 'downloading';
    if (final || this.now() - this.lastDraw >= 100) this.draw();
  }

  /** Last redraw (TTY) so the final state stays on screen. */
  finish(): void {
    if (this.tty) this.draw();
  }

  private line(l: LayerState): string {
    if (l.status === 'downloading') return `${l.id}: ${LABEL[l.status]} ${bar(l.downloaded, l.total)} ${humanSize(l.downloaded)}/${humanSize(l.total)}`;
    return `${l.id}: ${LABEL[l.status]}`;
  }

  private draw(): void {
    this.lastDraw = this.now();
    let s = this.drawn > 0 ? `\x1b[${this.drawn}A` : '';
    for (const l of this.layers.values()) s += `\x1b[2K\r${this.line(l)}\n`;
    this.drawn = this.layers.size;
    this.out.write(s);
  }
}
