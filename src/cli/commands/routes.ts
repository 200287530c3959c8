import { FlashError } from "../../shared/errors.ts";

export async function routesCommand(..._args: unknown[]): Promise<void> {
  throw new FlashError("USAGE", "flash routes is not available yet.");
}
