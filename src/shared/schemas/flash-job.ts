import { z } from "zod";

/**
 * The live job envelope (SPEC section 5): a job's `input` is `{"__flash__": {...}, "input": <user
 * input>}`. The worker writes `bundle.code` to a cache keyed by `bundle.sha256`, imports it and calls
 * the export named `function`.
 */
export const FlashEnvelope = z.object({
  v: z.literal(1),
  /** Export name of the function in the bundle. */
  function: z.string().min(1),
  /** Project-relative path of the source file, for messages. */
  file: z.string(),
  bundle: z.object({
    sha256: z.string().regex(/^[0-9a-f]{64}$/, "bundle.sha256 must be 64 lower-case hex digits"),
    code: z.string(),
  }),
  /** npm specs installed before the bundle is imported. */
  dependencies: z.array(z.string()).default([]),
  /** apt packages installed before the bundle is imported. */
  systemDependencies: z.array(z.string()).default([]),
});
export type FlashEnvelope = z.input<typeof FlashEnvelope>;

/** The key under which a live job carries its envelope. */
export const FLASH_KEY = "__flash__";

/** Builds a live job's `input` from an envelope and the user's input. */
export function liveJobInput(envelope: FlashEnvelope, input: unknown): Record<string, unknown> {
  return { [FLASH_KEY]: envelope, input: input === undefined ? null : input };
}
