import {
  type DocumentNode,
  type FragmentDefinitionNode,
  GraphQLError,
  Kind,
  Lexer,
  type SelectionSetNode,
  Source,
  TokenKind,
} from "graphql";

/** The limits a request is measured against (tests use smaller ones). */
export interface GraphqlLimits {
  /** Bytes of the query document (UTF-8). */
  readonly documentBytes: number;
  /** Lexical tokens (names, punctuation, values) of the document. */
  readonly tokens: number;
  /** Open braces, brackets and parentheses at once: bounds the parser's recursion. */
  readonly nesting: number;
  /** Fields inside fields, fragments counted where they are spread. */
  readonly selectionDepth: number;
  /** Fields selected, each alias and each fragment spread counted, fragments expanded. */
  readonly fields: number;
}

/**
 * How big a GraphQL request the emulator runs. graphql-js's parser, validation and execution cost
 * grows with the document (140,000 aliases took 23 s and 2.8 GB; a 20,000-deep selection got a
 * 500) and its parser recurses into every nesting, so a request is measured first, by loops
 * that never recurse, and refused with a 400 naming the limit before anything else looks at it.
 * Flash's own operations use a small fraction of each limit (the largest, `getEndpoint`, is under
 * 400 bytes and 50 tokens, 27 fields 4 deep; test/emulator/graphql/limits.test.ts checks them all
 * against a quarter of each limit).
 */
export const GRAPHQL_LIMITS: GraphqlLimits = {
  documentBytes: 100 * 1024,
  tokens: 10_000,
  nesting: 64,
  selectionDepth: 32,
  fields: 2_000,
};

/**
 * Checks the raw document against the size, token and nesting limits, lexing it token by token.
 * @returns a GraphQL error saying which limit the document exceeds, or undefined when it is within
 *   them (a syntax error is left for the parser to report with its location)
 */
export function checkDocumentText(query: string, limits = GRAPHQL_LIMITS): GraphQLError | undefined {
  const bytes = Buffer.byteLength(query, "utf8");
  if (bytes > limits.documentBytes) {
    return new GraphQLError(
      `The query document is ${bytes} bytes; at most ${limits.documentBytes} are allowed`,
    );
  }
  const lexer = new Lexer(new Source(query));
  let tokens = 0;
  let depth = 0;
  try {
    for (let token = lexer.advance(); token.kind !== TokenKind.EOF; token = lexer.advance()) {
      if (++tokens > limits.tokens) {
        return new GraphQLError(
          `The query has more than ${limits.tokens} tokens; at most ${limits.tokens} are allowed`,
        );
      }
      if (
        token.kind === TokenKind.BRACE_L ||
        token.kind === TokenKind.BRACKET_L ||
        token.kind === TokenKind.PAREN_L
      ) {
        if (++depth > limits.nesting) {
          return new GraphQLError(
            `The query nests braces, brackets and parentheses more than ${limits.nesting} deep; at most ${limits.nesting} levels are allowed`,
          );
        }
      } else if (
        token.kind === TokenKind.BRACE_R ||
        token.kind === TokenKind.BRACKET_R ||
        token.kind === TokenKind.PAREN_R
      ) {
        depth--;
      }
    }
  } catch (err) {
    if (err instanceof GraphQLError) return undefined; // a syntax error: the parser reports it
    throw err;
  }
  return undefined;
}

/**
 * Checks a parsed document's selections against the depth and field limits, expanding fragment
 * spreads where they occur, with an explicit stack (a fragment cycle, which validation rejects
 * later, ends at the field limit here).
 * @returns a GraphQL error saying which limit the document exceeds, or undefined
 */
export function checkSelections(document: DocumentNode, limits = GRAPHQL_LIMITS): GraphQLError | undefined {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const def of document.definitions) {
    if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
  }
  const stack: Array<{ set: SelectionSetNode; depth: number }> = [];
  for (const def of document.definitions) {
    if (def.kind === Kind.OPERATION_DEFINITION) stack.push({ set: def.selectionSet, depth: 1 });
  }
  let fields = 0;
  for (let item = stack.pop(); item; item = stack.pop()) {
    for (const selection of item.set.selections) {
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        stack.push({ set: selection.selectionSet, depth: item.depth });
        continue;
      }
      if (++fields > limits.fields) {
        return new GraphQLError(
          `The query selects more than ${limits.fields} fields (aliases and fragment spreads counted); at most ${limits.fields} are allowed`,
        );
      }
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments.get(selection.name.value);
        if (fragment) stack.push({ set: fragment.selectionSet, depth: item.depth });
        continue;
      }
      if (item.depth > limits.selectionDepth) {
        return new GraphQLError(
          `The query nests fields more than ${limits.selectionDepth} deep; at most ${limits.selectionDepth} levels are allowed`,
        );
      }
      if (selection.selectionSet) stack.push({ set: selection.selectionSet, depth: item.depth + 1 });
    }
  }
  return undefined;
}
