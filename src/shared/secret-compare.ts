import { timingSafeEqual } from "node:crypto";

/**
 * True when a key (or token) a client sent is the expected one, compared in constant time so that
 * response timing does not reveal how much of a guess was right. Every server checking a key uses
 * this one function.
 */
export function secretMatches(sent: string | undefined | null, expected: string): boolean {
  if (!sent) return false;
  const a = Buffer.from(sent);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
