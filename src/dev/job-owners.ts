/** What the dev server remembers of a job submitted through one of its QB prefixes. */
export interface JobOwner {
  /** The QB prefix it was submitted to; the job is not found under any other. */
  base: string;
  /** Its end has been reported in the terminal (a failure is printed once, not per poll). */
  reported: boolean;
}

/**
 * Which QB prefix each job belongs to. A multi-function file is one endpoint serving several
 * prefixes: without this, `/a/status/{id}` would show a job submitted to `/b`. Newest kept, oldest
 * dropped past `capacity` (RunPod keeps results 30 minutes at most), so a long session stays small.
 */
export class JobOwners {
  private readonly jobs = new Map<string, JobOwner>();

  constructor(private readonly capacity = 10_000) {}

  add(id: string, base: string): void {
    this.jobs.delete(id);
    this.jobs.set(id, { base, reported: false });
    if (this.jobs.size > this.capacity) {
      const oldest = this.jobs.keys().next().value;
      if (oldest !== undefined) this.jobs.delete(oldest);
    }
  }

  get(id: string): JobOwner | undefined {
    return this.jobs.get(id);
  }
}
