import { FlashError } from "../shared/errors.ts";
import type { SourceLocation } from "./types.ts";

/** A fatal finding, collected so a scan reports every problem at once. */
export interface Problem {
  at: SourceLocation;
  message: string;
  syntax?: boolean;
}

/** Thrown inside the scanner for one problem; collected by the caller. */
export class ScanProblem extends Error {
  constructor(
    readonly at: SourceLocation,
    message: string,
  ) {
    super(message);
  }
}

/** `file:line:column` */
export function formatLocation(at: SourceLocation): string {
  return `${at.file}:${at.line}:${at.column}`;
}

/** One FlashError listing every problem, each as `file:line:column: message`. */
export function problemsError(problems: Problem[]): FlashError {
  const sorted = [...problems].sort(
    (a, b) => a.at.file.localeCompare(b.at.file) || a.at.line - b.at.line || a.at.column - b.at.column,
  );
  const lines = sorted.map((p) => `${formatLocation(p.at)}: ${p.message}`);
  const code = problems.some((p) => p.syntax) ? "SCAN_SYNTAX" : "SCAN_INVALID";
  const message =
    lines.length === 1
      ? lines[0]!
      : `${lines.length} problems found:\n${lines.map((l) => `  ${l}`).join("\n")}`;
  return new FlashError(code, message);
}
