import { FlashError } from "../../shared/errors.ts";

export async function runCommand(..._args: unknown[]): Promise<void> {
  throw new FlashError("USAGE", "flash run is not available yet.");
}
