/**
 * Group commit for database calls that arrive one per request but are cheap only in bulk
 * (2,000 agents each reporting, authenticating or resuming a watch). `submit` queues an item
 * and resolves with its own result once the batch holding it has run. A batch starts on the
 * next turn of the event loop; while it runs, new items queue up and form the next batch. So
 * under light load a caller waits one turn, and under heavy load batches grow by themselves
 * instead of calls queueing one by one for the database.
 *
 * `run` receives the items of one batch in submission order and returns one result per item
 * (same order): an Error in a slot fails only that item; a thrown error fails the batch.
 */
export type BatchResult<O> = O | Error;

export interface BatcherOptions {
  /** Largest batch handed to `run` (the rest waits for the next one). Default 1000. */
  maxBatch?: number;
}

interface Pending<I, O> {
  item: I;
  resolve: (value: O) => void;
  reject: (err: unknown) => void;
}

export class Batcher<I, O> {
  private queue: Pending<I, O>[] = [];
  private draining = false;
  private readonly maxBatch: number;

  constructor(
    private readonly run: (items: I[]) => Promise<BatchResult<O>[]>,
    opts: BatcherOptions = {},
  ) {
    this.maxBatch = opts.maxBatch ?? 1000;
    if (!Number.isInteger(this.maxBatch) || this.maxBatch < 1) throw new RangeError(`maxBatch must be a positive integer, got ${this.maxBatch}`);
  }

  /** Items waiting for a batch (not counting the one running). */
  get pending(): number {
    return this.queue.length;
  }

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.draining) {
        this.draining = true;
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        let results: BatchResult<O>[];
        try {
          results = await this.run(batch.map((p) => p.item));
          if (results.length !== batch.length) throw new Error(`batch returned ${results.length} results for ${batch.length} items`);
        } catch (err) {
          for (const p of batch) p.reject(err);
          continue;
        }
        batch.forEach((p, i) => {
          const r = results[i] as BatchResult<O>;
          if (r instanceof Error) p.reject(r);
          else p.resolve(r);
        });
      }
    } finally {
      this.draining = false;
    }
  }
}
