// Types for oxc-parser's native binding (a public subpath of the package without its own types).
declare module "oxc-parser/src-js/bindings" {
  import type { OxcError, ParserOptions } from "oxc-parser";

  /** Parses on oxc's thread; the result's getters copy each field out of native memory on access. */
  export function parse(
    filename: string,
    sourceText: string,
    options?: ParserOptions | null,
  ): Promise<{ readonly errors: OxcError[] }>;
}
