import { randomBytes } from "node:crypto";
import type { Registry } from "../registry.ts";
import type { FlashStore } from "./flash-store.ts";

/** What every resolver gets: the account state and how to build URLs pointing back at the emulator. */
export interface ResolverContext {
  registry: Registry;
  store: FlashStore;
  /** The emulator's origin, e.g. `http://127.0.0.1:8787`. */
  origin: () => string;
  /** Reports a warning for the server to log (also kept in `store.warnings`). */
  warn: (message: string) => void;
  /** True when `imageName` is one the emulator stands in for (a Flash worker image). */
  isKnownImage: (imageName: string) => boolean;
}

/** The emulated account's user id, as `userId` on endpoints and `myself.id`. */
export const EMULATOR_USER_ID = "user_flash_emulator";

/** A RunPod-looking id: lowercase letters and digits (endpoint ids are 14, template ids 10). */
export function newId(length: number): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  const bytes = randomBytes(length);
  let id = "";
  for (const b of bytes) id += alphabet[b % alphabet.length];
  return id;
}

/**
 * An error a resolver throws on bad input; graphql-js returns it as RunPod does, HTTP 200 with
 * `errors: [{ message, path }]`.
 */
export class InputError extends Error {
  override name = "InputError";
}
