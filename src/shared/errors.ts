/**
 * The closed catalog of error codes. Every deliberate failure in Flash is a {@link FlashError}
 * carrying one of these; the CLI entry maps them to exit codes, HTTP layers to statuses.
 */
export const ErrorCode = {
  /** A resource config or `remote()` call has an invalid value. */
  CONFIG_INVALID: "CONFIG_INVALID",
  /** A project file does not parse. */
  SCAN_SYNTAX: "SCAN_SYNTAX",
  /** Discovery found something it cannot accept (unresolvable config, bad route, conflict). */
  SCAN_INVALID: "SCAN_INVALID",
  /** No remote function was found in the project. */
  NO_FUNCTIONS: "NO_FUNCTIONS",
  /** A command-line argument or option is wrong. */
  USAGE: "USAGE",
  /** A value cannot cross the wire as JSON. */
  SERIALIZATION: "SERIALIZATION",
  /** A payload exceeds RunPod's size limit. */
  PAYLOAD_TOO_LARGE: "PAYLOAD_TOO_LARGE",
  /** A remote job ended in a state other than COMPLETED. */
  REMOTE_EXECUTION: "REMOTE_EXECUTION",
  /** A call waited longer than its timeout. */
  TIMEOUT: "TIMEOUT",
  /** A call was aborted by its AbortSignal. */
  ABORTED: "ABORTED",
  /** RunPod (or the emulator) rejected the API key. */
  RUNPOD_AUTH: "RUNPOD_AUTH",
  /** A RunPod API call failed. */
  RUNPOD_API: "RUNPOD_API",
  /** The app or environment a command asks about was never deployed (or was undeployed). */
  NOT_DEPLOYED: "NOT_DEPLOYED",
  /** Data read from disk or the wire does not match its schema. */
  INVALID_DATA: "INVALID_DATA",
  /** Building or bundling the project failed. */
  BUILD_FAILED: "BUILD_FAILED",
  /** A bug: anything not thrown on purpose. */
  INTERNAL: "INTERNAL",
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Process exit code per error code; adding a code without an entry fails to compile. */
export const exitCodeOf = {
  CONFIG_INVALID: 1,
  SCAN_SYNTAX: 1,
  SCAN_INVALID: 1,
  NO_FUNCTIONS: 1,
  USAGE: 2,
  SERIALIZATION: 1,
  PAYLOAD_TOO_LARGE: 1,
  REMOTE_EXECUTION: 1,
  TIMEOUT: 1,
  ABORTED: 130,
  RUNPOD_AUTH: 1,
  RUNPOD_API: 1,
  NOT_DEPLOYED: 1,
  INVALID_DATA: 1,
  BUILD_FAILED: 1,
  INTERNAL: 70,
} as const satisfies Record<ErrorCode, number>;

/** The one error class of Flash: a message written for the user, and a code from {@link ErrorCode}. */
export class FlashError extends Error {
  override name = "FlashError";
  readonly code: ErrorCode;
  /** Extra lines shown under the message (a hint, an example), never containing secrets. */
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, options?: { hint?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.hint = options?.hint;
  }
}

/** True when `err` is a {@link FlashError}, optionally with the given code. */
export function isFlashError(err: unknown, code?: ErrorCode): err is FlashError {
  return err instanceof FlashError && (code === undefined || err.code === code);
}
