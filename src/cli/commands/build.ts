import { FlashError } from "../../shared/errors.ts";

export async function buildCommand(..._args: unknown[]): Promise<void> {
  throw new FlashError("USAGE", "flash build is not available yet.");
}
