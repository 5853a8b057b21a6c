/**
 * A pull-based reader over an async iterable of byte chunks: exact reads for headers, chunked
 * reads for file bodies (no copy of the whole body), and draining the rest of the input.
 */
export class ByteReader {
  private readonly it: AsyncIterator<Uint8Array>;
  private chunks: Buffer[] = [];
  private buffered = 0;
  private done = false;
  /** Bytes handed out so far. */
  position = 0;

  constructor(source: AsyncIterable<Uint8Array>) {
    this.it = source[Symbol.asyncIterator]();
  }

  /** Buffers at least `n` bytes unless the input ends first; returns what is buffered. */
  private async fill(n: number): Promise<number> {
    while (this.buffered < n && !this.done) {
      const r = await this.it.next();
      if (r.done) {
        this.done = true;
        break;
      }
      if (r.value.length === 0) continue;
      const b = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value.buffer, r.value.byteOffset, r.value.length);
      this.chunks.push(b);
      this.buffered += b.length;
    }
    return this.buffered;
  }

  private take(n: number): Buffer {
    const out: Buffer[] = [];
    let left = n;
    while (left > 0) {
      const head = this.chunks[0]!;
      if (head.length <= left) {
        out.push(head);
        this.chunks.shift();
        left -= head.length;
      } else {
        out.push(head.subarray(0, left));
        this.chunks[0] = head.subarray(left);
        left = 0;
      }
    }
    this.buffered -= n;
    this.position += n;
    return out.length === 1 ? out[0]! : Buffer.concat(out, n);
  }

  /** Exactly `n` bytes, or what is left (possibly fewer, possibly empty) at end of input. */
  async read(n: number): Promise<Buffer> {
    const have = await this.fill(n);
    return this.take(Math.min(n, have));
  }

  /** Up to `n` bytes as they arrive, in chunks; stops early only at end of input. */
  async *chunksOf(n: number): AsyncGenerator<Buffer> {
    let left = n;
    while (left > 0) {
      if (this.buffered === 0 && (await this.fill(1)) === 0) return;
      const head = this.chunks[0]!;
      const part = head.length <= left ? head : head.subarray(0, left);
      this.chunks[0] = head.subarray(part.length);
      if (this.chunks[0].length === 0) this.chunks.shift();
      this.buffered -= part.length;
      this.position += part.length;
      left -= part.length;
      yield part;
    }
  }

  /** Skips up to `n` bytes; returns how many were skipped. */
  async skip(n: number): Promise<number> {
    let skipped = 0;
    for await (const c of this.chunksOf(n)) skipped += c.length;
    return skipped;
  }

  /** Reads and discards everything left, so a hash over the input sees all of it. */
  async drain(): Promise<void> {
    this.position += this.buffered;
    this.chunks = [];
    this.buffered = 0;
    while (!this.done) {
      const r = await this.it.next();
      if (r.done) this.done = true;
      else this.position += r.value.length;
    }
  }
}
