/** What `GET {base}/status/{id}` answers for a job of this session. */
export interface JobRecord {
  id: string;
  status: "IN_PROGRESS" | "COMPLETED" | "FAILED" | "CANCELLED" | "TIMED_OUT";
  /** The QB base path the job was sent to, so a status request on another base is a 404. */
  base: string;
  output?: unknown;
  error?: string;
}

/**
 * The jobs the dev server ran in this session, newest kept, oldest dropped past `capacity`, so a
 * long session does not grow without bound.
 */
export class JobStore {
  private readonly jobs = new Map<string, JobRecord>();

  constructor(private readonly capacity = 1000) {}

  set(record: JobRecord): void {
    this.jobs.delete(record.id);
    this.jobs.set(record.id, record);
    if (this.jobs.size > this.capacity) {
      const oldest = this.jobs.keys().next().value;
      if (oldest !== undefined) this.jobs.delete(oldest);
    }
  }

  get(id: string): JobRecord | undefined {
    return this.jobs.get(id);
  }
}
