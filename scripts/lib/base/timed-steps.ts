// The named steps of a job's core: each one timed into a bucket, and a failure inside one
// reported once, as "failed during <step>", by the core's own wording.

export class TimedSteps<Bucket extends string> {
  /** Milliseconds spent per bucket (several steps may share one). */
  readonly ms: Record<Bucket, number>;
  private readonly labelled = new WeakSet<object>();

  constructor(
    buckets: readonly Bucket[],
    /** The error a failure inside `step` becomes (it names the step). */
    private readonly failed: (step: string, error: unknown) => Error,
    private readonly clock: () => number = Date.now,
  ) {
    this.ms = Object.fromEntries(buckets.map((b) => [b, 0])) as Record<Bucket, number>;
  }

  async run<T>(step: string, bucket: Bucket, work: () => Promise<T>): Promise<T> {
    const started = this.clock();
    try {
      return await work();
    } catch (error) {
      if (error instanceof Object && this.labelled.has(error)) throw error;
      const labelled = this.failed(step, error);
      this.labelled.add(labelled);
      throw labelled;
    } finally {
      this.ms[bucket] += this.clock() - started;
    }
  }
}
