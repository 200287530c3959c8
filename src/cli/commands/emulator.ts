import { FlashError } from "../../shared/errors.ts";

export async function emulatorCommand(..._args: unknown[]): Promise<void> {
  throw new FlashError("USAGE", "flash emulator is not available yet.");
}
