import type { Statement } from "oxc-parser";
import type { ParsedFile, SourceFile } from "./parse.ts";
import { EXPRESSION_KEYWORDS, isWordChar, type KeptStatements } from "./reduce.ts";

/**
 * Parses the statements discovery reads without the general parser, for the shapes a Flash file
 * is made of: imports, export lists, and `const` declarations whose values are literals, objects,
 * arrays, member chains, `new` and calls (`new LiveServerless({...})`, `remote(cfg, opts, fn)`).
 *
 * Statements are found as the source reducer finds them (top-level statements that import, export
 * a list, or call one of the file's SDK names); all others are skipped unread. Handler functions
 * are kept as opaque nodes (their body's extent only): discovery reads their text, not their AST.
 *
 * It builds the same ESTree nodes (types, offsets and the fields discovery reads) as oxc with
 * `astType: "ts"`, and gives up (returns undefined) on anything else: binary and conditional
 * expressions, destructuring, computed or method properties, function and class declarations,
 * unusual literals. The caller then parses the file with oxc, which also remains the judge of
 * syntax errors. Giving up is only ever slower, never different.
 *
 * Why: handing oxc's AST to JavaScript (JSON, then objects, then garbage) was most of a scan's
 * time in a running process (the dev server rescans on every save); reading these few shapes
 * directly made that scan 2–3 times faster (bench: 256 → 107 ms for 1,000 files).
 */
export function quickParse(file: SourceFile, kept: KeptStatements): ParsedFile | undefined {
  const parser = new QuickParser(file.text);
  const body: Statement[] = [];
  const { ranges } = kept;
  try {
    for (let k = 0; k < ranges.length; k += 2) {
      const statement = parser.statement(ranges[k]!, ranges[k + 1]!);
      if (statement) body.push(statement as unknown as Statement);
    }
  } catch (err) {
    if (err === GIVE_UP) return undefined;
    throw err;
  }
  return { ...file, body, offset: same, quick: true };
}

const same = (offset: number): number => offset;

/** Thrown (one shared value, no stack) when the text is outside the quick parser's shapes. */
const GIVE_UP = Symbol("give up");

/** An ESTree node as built here: the fields discovery reads, under oxc's names. */
interface Node {
  type: string;
  start: number;
  end: number;
  [field: string]: unknown;
}

const RESERVED = new Set(
  (
    "break case catch class const continue debugger default delete do else enum export extends false " +
    "finally for function if import in instanceof new null return super switch this throw true try " +
    "typeof var void while with yield let static implements interface package private protected " +
    "public await"
  ).split(" "),
);

const C = {
  tab: 9,
  lf: 10,
  cr: 13,
  space: 32,
  bang: 33,
  dquote: 34,
  dollar: 36,
  squote: 39,
  lparen: 40,
  rparen: 41,
  star: 42,
  plus: 43,
  comma: 44,
  minus: 45,
  dot: 46,
  slash: 47,
  zero: 48,
  nine: 57,
  colon: 58,
  semi: 59,
  lt: 60,
  eq: 61,
  gt: 62,
  question: 63,
  lbracket: 91,
  backslash: 92,
  rbracket: 93,
  backtick: 96,
  lbrace: 123,
  rbrace: 125,
} as const;

/** Kinds of the previous token, for telling a regular expression from a division while skipping. */
enum Prev {
  Operator,
  Operand,
}

class QuickParser {
  private pos = 0;
  private end = 0;

  constructor(private readonly text: string) {}

  /** Parses the one statement in [start, end) (undefined when it holds only trivia); anything after it but trivia gives up. */
  statement(start: number, end: number): Node | undefined {
    this.pos = start;
    this.end = end;
    this.trivia();
    if (this.pos === end) return undefined;
    const word = this.peekWord();
    let node: Node;
    if (word === "import") node = this.importDeclaration();
    else if (word === "export") node = this.exportDeclaration();
    else if (word === "const" || word === "let" || word === "var") node = this.variableDeclaration(this.pos);
    else throw GIVE_UP;
    this.trivia();
    if (this.pos !== this.end) throw GIVE_UP;
    return node;
  }

  // ---- statements -------------------------------------------------------------------------------

  private importDeclaration(): Node {
    const start = this.pos;
    this.expectWord("import");
    this.trivia();
    let importKind = "value";
    const specifiers: Node[] = [];
    if (this.peekWord() === "type") {
      const after = this.lookPastWord();
      const c = this.text.charCodeAt(after);
      if (c === C.lbrace || c === C.star) importKind = "type";
      else if (isIdentStart(c)) {
        if (this.text.startsWith("from", after) && !isWordChar(this.text.charCodeAt(after + 4)))
          throw GIVE_UP; // `import type from ...`: leave the ambiguity to oxc
        importKind = "type";
      }
      if (importKind === "type") {
        this.pos = after;
      }
    }
    const c = this.char();
    if (c !== C.dquote && c !== C.squote) {
      let more = true;
      if (isIdentStart(c)) {
        const local = this.identifier();
        if (RESERVED.has(local.name as string)) throw GIVE_UP;
        specifiers.push({ type: "ImportDefaultSpecifier", start: local.start, end: local.end, local });
        this.trivia();
        more = this.char() === C.comma;
        if (more && importKind === "type") throw GIVE_UP; // TypeScript forbids `import type A, { B }`
        if (more) {
          this.pos++;
          this.trivia();
        }
      }
      if (more) {
        if (this.char() === C.star) {
          const s = this.pos;
          this.pos++;
          this.trivia();
          this.expectWord("as");
          this.trivia();
          const local = this.identifier();
          if (RESERVED.has(local.name as string)) throw GIVE_UP;
          specifiers.push({ type: "ImportNamespaceSpecifier", start: s, end: local.end, local });
          this.trivia();
        } else if (this.char() === C.lbrace) {
          this.importSpecifiers(specifiers);
        } else throw GIVE_UP;
      }
      this.expectFrom();
    }
    const source = this.stringLiteral();
    this.trivia();
    if (this.peekWord() === "with" || this.peekWord() === "assert") throw GIVE_UP;
    const end = this.semicolon(source.end);
    return { type: "ImportDeclaration", start, end, specifiers, source, importKind };
  }

  private expectFrom(): void {
    this.expectWord("from");
    this.trivia();
  }

  private importSpecifiers(out: Node[]): void {
    for (const { start, kind, first, second } of this.specifierList(() => this.identifier())) {
      // Without `as`, the imported name is also the local binding: a string or reserved word is an error.
      if (!second && (first.type !== "Identifier" || RESERVED.has(first.name as string))) throw GIVE_UP;
      const local = second ?? first;
      out.push({
        type: "ImportSpecifier",
        start,
        end: local.end,
        imported: first,
        local,
        importKind: kind,
      });
    }
    this.trivia();
  }

  /**
   * `{ [type] a [as b], ... }` from `pos` (at the `{`) to just past the `}`: each specifier's start,
   * kind (inline `type`), first name, and the name after `as` read by `second`.
   */
  private specifierList(
    second: () => Node,
  ): { start: number; kind: string; first: Node; second: Node | undefined }[] {
    const list: { start: number; kind: string; first: Node; second: Node | undefined }[] = [];
    this.pos++; // {
    for (;;) {
      this.trivia();
      if (this.char() === C.rbrace) break;
      const start = this.pos;
      let kind = "value";
      if (this.peekWord() === "type") {
        const after = this.lookPastWord();
        const next = this.text.charCodeAt(after);
        if (isIdentStart(next) || next === C.dquote || next === C.squote) {
          // `{ type as x }`: the name `type` renamed, or a type named `as`; leave it to oxc.
          if (this.text.startsWith("as", after) && !isWordChar(this.text.charCodeAt(after + 2)))
            throw GIVE_UP;
          kind = "type";
          this.pos = after;
        }
      }
      const first = this.moduleExportName();
      this.trivia();
      let renamed: Node | undefined;
      if (this.peekWord() === "as") {
        this.pos += 2;
        this.trivia();
        renamed = second();
        this.trivia();
      }
      list.push({ start, kind, first, second: renamed });
      if (this.char() === C.comma) this.pos++;
      else if (this.char() !== C.rbrace) throw GIVE_UP;
    }
    this.pos++; // }
    return list;
  }

  private exportDeclaration(): Node {
    const start = this.pos;
    this.expectWord("export");
    this.trivia();
    let exportKind = "value";
    if (this.peekWord() === "type") {
      const after = this.lookPastWord();
      const c = this.text.charCodeAt(after);
      if (c !== C.lbrace && c !== C.star) throw GIVE_UP; // a type alias
      exportKind = "type";
      this.pos = after;
    }
    const c = this.char();
    if (c === C.star) {
      this.pos++;
      this.trivia();
      let exported: Node | null = null;
      if (this.peekWord() === "as") {
        this.pos += 2;
        this.trivia();
        exported = this.moduleExportName();
        this.trivia();
      }
      this.expectFrom();
      const source = this.stringLiteral();
      this.trivia();
      const end = this.semicolon(source.end);
      return { type: "ExportAllDeclaration", start, end, exported, source, exportKind };
    }
    if (c === C.lbrace) {
      const specifiers = this.specifierList(() => this.moduleExportName()).map(
        ({ start: s, kind, first: local, second }) => {
          const exported = second ?? local;
          return { type: "ExportSpecifier", start: s, end: exported.end, local, exported, exportKind: kind };
        },
      );
      let end = this.pos;
      this.trivia();
      let source: Node | null = null;
      if (this.peekWord() === "from") {
        this.expectFrom();
        source = this.stringLiteral();
        end = source.end;
        this.trivia();
        if (this.peekWord() === "with" || this.peekWord() === "assert") throw GIVE_UP;
      } else {
        // `export { a }` names local bindings only: a string or reserved word there is an error.
        for (const spec of specifiers) {
          const local = spec.local as Node;
          if (local.type !== "Identifier" || RESERVED.has(local.name as string)) throw GIVE_UP;
        }
      }
      end = this.semicolon(end);
      return {
        type: "ExportNamedDeclaration",
        start,
        end,
        declaration: null,
        specifiers,
        source,
        exportKind,
      };
    }
    if (exportKind === "type") throw GIVE_UP;
    const word = this.peekWord();
    if (word === "const" || word === "let" || word === "var") {
      const declaration = this.variableDeclaration(this.pos);
      return {
        type: "ExportNamedDeclaration",
        start,
        end: declaration.end,
        declaration,
        specifiers: [],
        source: null,
        exportKind: "value",
      };
    }
    if (word === "default") {
      this.pos += 7;
      this.trivia();
      const next = this.peekWord();
      if (next === "function" || next === "class" || next === "async" || next === "abstract") throw GIVE_UP;
      const declaration = this.expression();
      this.trivia();
      const end = this.semicolon(declaration.end);
      return { type: "ExportDefaultDeclaration", start, end, declaration };
    }
    throw GIVE_UP;
  }

  private variableDeclaration(start: number): Node {
    const kind = this.word();
    if (kind === "const" && this.peekWordAfterTrivia() === "enum") throw GIVE_UP;
    const declarations: Node[] = [];
    for (;;) {
      this.trivia();
      const id = this.identifier();
      if (RESERVED.has(id.name as string)) throw GIVE_UP;
      this.trivia();
      if (this.char() === C.bang) throw GIVE_UP;
      if (this.char() === C.colon) {
        this.pos++;
        this.trivia();
        id.end = this.skipType(STOP_DECLARATOR);
        this.trivia();
      }
      let init: Node | null = null;
      if (this.char() === C.eq && this.text.charCodeAt(this.pos + 1) !== C.eq) {
        this.pos++;
        init = this.expression();
        this.trivia();
      } else if (kind === "const") throw GIVE_UP;
      declarations.push({ type: "VariableDeclarator", start: id.start, end: init?.end ?? id.end, id, init });
      if (this.char() !== C.comma) break;
      this.pos++;
    }
    const last = declarations[declarations.length - 1]!;
    const end = this.semicolon(last.end);
    return { type: "VariableDeclaration", start, end, kind, declarations };
  }

  /** Consumes an optional `;` (after trivia, already skipped) and returns the statement's end. */
  private semicolon(end: number): number {
    if (this.char() === C.semi) {
      this.pos++;
      return this.pos;
    }
    return end;
  }

  // ---- expressions -------------------------------------------------------------------------------

  /**
   * An expression of the supported shapes, followed by the end of its context: `,` `)` `]` `}` `;`
   * or the statement's end. Anything else after it (an operator) gives up.
   */
  private expression(): Node {
    this.trivia();
    const start = this.pos;
    let e = this.unary();
    for (;;) {
      this.trivia();
      const w = this.peekWord();
      // TypeScript reads `as` after a line break as the start of a new statement.
      if ((w !== "as" && w !== "satisfies") || this.newlineBefore()) break;
      this.pos += w.length;
      this.trivia();
      const typeStart = this.pos;
      const typeEnd = this.skipType(STOP_EXPRESSION);
      if (typeEnd === typeStart) throw GIVE_UP;
      const typeAnnotation = { type: "TSTypeReference", start: typeStart, end: typeEnd };
      e = {
        type: w === "as" ? "TSAsExpression" : "TSSatisfiesExpression",
        start,
        end: typeEnd,
        expression: e,
        typeAnnotation,
      };
    }
    const c = this.char();
    if (!(c === 0 || c === C.comma || c === C.rparen || c === C.rbracket || c === C.rbrace || c === C.semi))
      throw GIVE_UP;
    return e;
  }

  private unary(): Node {
    const c = this.char();
    const start = this.pos;
    if (c === C.minus || c === C.plus || c === C.bang) {
      const next = this.text.charCodeAt(this.pos + 1);
      if (next === c || next === C.eq) throw GIVE_UP;
      this.pos++;
      this.trivia();
      const argument = this.unary();
      return {
        type: "UnaryExpression",
        start,
        end: argument.end,
        operator: String.fromCharCode(c),
        argument,
      };
    }
    return this.postfix(this.primary(), start);
  }

  /**
   * Member accesses, calls and `!` after `base`. `start` is where `base` began in the text: before
   * its parentheses, if it had any (oxc drops the parentheses but the enclosing node spans them).
   */
  private postfix(base: Node, start: number): Node {
    let e = base;
    for (;;) {
      this.trivia();
      const c = this.char();
      if (c === C.dot) {
        if (this.text.charCodeAt(this.pos + 1) === C.dot) throw GIVE_UP;
        this.pos++;
        this.trivia();
        const property = this.identifierName();
        e = {
          type: "MemberExpression",
          start,
          end: property.end,
          object: e,
          property,
          computed: false,
        };
      } else if (c === C.question && this.text.charCodeAt(this.pos + 1) === C.dot) {
        throw GIVE_UP;
      } else if (c === C.lbracket) {
        this.pos++;
        const property = this.expression();
        this.expectChar(C.rbracket);
        e = { type: "MemberExpression", start, end: this.pos, object: e, property, computed: true };
      } else if (c === C.lparen) {
        const args = this.arguments();
        e = { type: "CallExpression", start, end: this.pos, callee: e, arguments: args };
      } else if (c === C.lt) {
        this.skipTypeArguments();
        this.trivia();
        if (this.char() !== C.lparen) throw GIVE_UP;
      } else if (c === C.bang && this.text.charCodeAt(this.pos + 1) !== C.eq && !this.newlineBefore()) {
        this.pos++;
        e = { type: "TSNonNullExpression", start, end: this.pos, expression: e };
      } else return e;
    }
  }

  private primary(): Node {
    const c = this.char();
    const start = this.pos;
    if (c === C.dquote || c === C.squote) return this.stringLiteral();
    if (c === C.backtick) return this.templateLiteral();
    if ((c >= C.zero && c <= C.nine) || c === C.dot) return this.numberLiteral();
    if (c === C.lbracket) return this.arrayExpression();
    if (c === C.lbrace) return this.objectExpression();
    if (c === C.lparen) return this.parenthesizedOrArrow();
    if (!isIdentStart(c)) throw GIVE_UP;
    const name = this.word();
    switch (name) {
      case "true":
      case "false":
        return { type: "Literal", start, end: this.pos, value: name === "true" };
      case "null":
        return { type: "Literal", start, end: this.pos, value: null };
      case "new":
        return this.newExpression(start);
      case "function":
        return this.functionExpression(start, false);
      case "async": {
        const afterWord = this.pos;
        this.trivia();
        const next = this.char();
        if (this.peekWord() === "function" && !this.newlineBefore()) {
          this.pos += 8;
          return this.functionExpression(start, true);
        }
        if (next === C.lparen && !this.newlineBefore()) {
          const close = this.skipGroup(this.pos);
          const arrowAt = this.arrowAfter(close);
          if (arrowAt !== -1) {
            this.pos = arrowAt;
            return this.arrowBody(start, true);
          }
        } else if (isIdentStart(next) && !this.newlineBefore()) {
          this.identifier();
          this.trivia();
          if (!this.text.startsWith("=>", this.pos)) throw GIVE_UP;
          this.pos += 2;
          return this.arrowBody(start, true);
        }
        this.pos = afterWord; // a variable or a function named async
        break;
      }
      default:
        if (RESERVED.has(name)) throw GIVE_UP;
    }
    const id = { type: "Identifier", start, end: this.pos, name };
    const afterId = this.pos;
    this.trivia();
    if (this.text.startsWith("=>", this.pos)) {
      this.pos += 2;
      return this.arrowBody(start, false);
    }
    this.pos = afterId;
    return id;
  }

  private newExpression(start: number): Node {
    this.trivia();
    if (this.char() === C.dot) throw GIVE_UP; // new.target
    let callee: Node = this.identifier();
    if (RESERVED.has(callee.name as string)) throw GIVE_UP;
    for (;;) {
      this.trivia();
      if (this.char() !== C.dot) break;
      this.pos++;
      this.trivia();
      const property = this.identifierName();
      callee = {
        type: "MemberExpression",
        start: callee.start,
        end: property.end,
        object: callee,
        property,
        computed: false,
      };
    }
    if (this.char() === C.lt) {
      this.skipTypeArguments();
      this.trivia();
    }
    if (this.char() !== C.lparen) throw GIVE_UP;
    const args = this.arguments();
    return { type: "NewExpression", start, end: this.pos, callee, arguments: args };
  }

  private arguments(): Node[] {
    this.pos++; // (
    const args: Node[] = [];
    for (;;) {
      this.trivia();
      if (this.char() === C.rparen) break;
      args.push(this.spreadOr());
      this.trivia();
      if (this.char() === C.comma) this.pos++;
      else if (this.char() !== C.rparen) throw GIVE_UP;
    }
    this.pos++; // )
    return args;
  }

  private spreadOr(): Node {
    if (this.text.startsWith("...", this.pos)) {
      const start = this.pos;
      this.pos += 3;
      const argument = this.expression();
      return { type: "SpreadElement", start, end: argument.end, argument };
    }
    return this.expression();
  }

  private arrayExpression(): Node {
    const start = this.pos++;
    const elements: (Node | null)[] = [];
    for (;;) {
      this.trivia();
      const c = this.char();
      if (c === C.rbracket) break;
      if (c === C.comma) {
        elements.push(null);
        this.pos++;
        continue;
      }
      elements.push(this.spreadOr());
      this.trivia();
      if (this.char() === C.comma) this.pos++;
      else if (this.char() !== C.rbracket) throw GIVE_UP;
    }
    this.pos++;
    return { type: "ArrayExpression", start, end: this.pos, elements };
  }

  private objectExpression(): Node {
    const start = this.pos++;
    const properties: Node[] = [];
    for (;;) {
      this.trivia();
      const c = this.char();
      if (c === C.rbrace) break;
      if (this.text.startsWith("...", this.pos)) {
        properties.push(this.spreadOr());
      } else {
        let key: Node;
        if (c === C.dquote || c === C.squote) key = this.stringLiteral();
        else if (c >= C.zero && c <= C.nine) key = this.numberLiteral();
        else key = this.identifierName();
        this.trivia();
        const next = this.char();
        if (next === C.colon) {
          this.pos++;
          const value = this.expression();
          properties.push({
            type: "Property",
            start: key.start,
            end: value.end,
            kind: "init",
            key,
            value,
            method: false,
            computed: false,
          });
        } else if ((next === C.comma || next === C.rbrace) && key.type === "Identifier") {
          if (RESERVED.has(key.name as string)) throw GIVE_UP;
          properties.push({
            type: "Property",
            start: key.start,
            end: key.end,
            kind: "init",
            key,
            value: { type: "Identifier", start: key.start, end: key.end, name: key.name },
            method: false,
            computed: false,
          });
        } else throw GIVE_UP;
      }
      this.trivia();
      if (this.char() === C.comma) this.pos++;
      else if (this.char() !== C.rbrace) throw GIVE_UP;
    }
    this.pos++;
    return { type: "ObjectExpression", start, end: this.pos, properties };
  }

  private parenthesizedOrArrow(): Node {
    const start = this.pos;
    const close = this.skipGroup(start);
    const arrowAt = this.arrowAfter(close);
    if (arrowAt !== -1) {
      this.pos = arrowAt;
      return this.arrowBody(start, false);
    }
    // Parentheses leave no node (oxc's preserveParens: false): the inner expression is the value.
    this.pos = start + 1;
    const inner = this.expression();
    this.expectChar(C.rparen);
    return inner;
  }

  /**
   * After a parameter list ending at `close`: the offset just past `=>` (skipping a return type),
   * or -1 when no arrow follows.
   */
  private arrowAfter(close: number): number {
    const saved = this.pos;
    this.pos = close;
    this.trivia();
    if (this.char() === C.colon) {
      this.pos++;
      this.trivia();
      this.skipType(STOP_ARROW);
      this.trivia();
      if (!this.text.startsWith("=>", this.pos)) throw GIVE_UP;
    }
    const at = this.text.startsWith("=>", this.pos) ? this.pos + 2 : -1;
    this.pos = saved;
    return at;
  }

  /** An arrow function from `start`, with `pos` just past its `=>`; the body is kept opaque. */
  private arrowBody(start: number, isAsync: boolean): Node {
    this.trivia();
    const bodyStart = this.pos;
    let body: Node;
    let expression = false;
    let end: number;
    if (this.char() === C.lbrace) {
      end = this.pos = this.skipGroup(bodyStart);
      body = { type: "BlockStatement", start: bodyStart, end: this.pos, body: [], opaque: true };
    } else {
      end = this.skipUntil(STOP_EXPRESSION, false, true);
      if (end === bodyStart) throw GIVE_UP;
      // Without parenthesis nodes, `=> ({...})` has the object itself as its body.
      let [s, e] = [bodyStart, end];
      while (this.text.charCodeAt(s) === C.lparen && this.skipGroup(s) === e) {
        const after = this.pos;
        this.pos = s + 1;
        this.trivia();
        s = this.pos;
        e = this.skipUntil(STOP_CLOSE, false);
        this.pos = after;
      }
      body = { type: "OpaqueExpression", start: s, end: e, opaque: true };
      expression = true;
    }
    // The arrow ends after the parentheses of a parenthesized body; the body inside them.
    return {
      type: "ArrowFunctionExpression",
      start,
      end,
      expression,
      async: isAsync,
      params: [],
      body,
      id: null,
      generator: false,
    };
  }

  /** `function[*] [name](params) [: type] { body }` from `start`, `pos` just past `function`. */
  private functionExpression(start: number, isAsync: boolean): Node {
    this.trivia();
    const generator = this.char() === C.star;
    if (generator) {
      this.pos++;
      this.trivia();
    }
    let id: Node | null = null;
    if (isIdentStart(this.char())) {
      id = this.identifier();
      if (RESERVED.has(id.name as string)) throw GIVE_UP;
      this.trivia();
    }
    if (this.char() === C.lt) {
      this.skipTypeArguments();
      this.trivia();
    }
    if (this.char() !== C.lparen) throw GIVE_UP;
    this.pos = this.skipGroup(this.pos);
    this.trivia();
    if (this.char() === C.colon) {
      this.pos++;
      this.trivia();
      if (this.char() === C.lbrace) throw GIVE_UP; // an object type: its `{` reads like the body
      this.skipType(STOP_BODY);
      this.trivia();
    }
    if (this.char() !== C.lbrace) throw GIVE_UP;
    const bodyStart = this.pos;
    this.pos = this.skipGroup(bodyStart);
    const body = { type: "BlockStatement", start: bodyStart, end: this.pos, body: [], opaque: true };
    return {
      type: "FunctionExpression",
      start,
      end: this.pos,
      id,
      expression: false,
      async: isAsync,
      generator,
      params: [],
      body,
    };
  }

  // ---- literals -------------------------------------------------------------------------------

  private stringLiteral(): Node {
    const start = this.pos;
    const quote = this.char();
    if (quote !== C.dquote && quote !== C.squote) throw GIVE_UP;
    let i = start + 1;
    let escaped = false;
    for (;;) {
      if (i >= this.end) throw GIVE_UP;
      const c = this.text.charCodeAt(i);
      if (c === quote) break;
      if (c === C.lf || c === C.cr) throw GIVE_UP;
      if (c === C.backslash) {
        escaped = true;
        i += 2;
      } else i++;
    }
    const inner = this.text.slice(start + 1, i);
    this.pos = i + 1;
    const value = escaped ? cook(inner) : inner;
    return { type: "Literal", start, end: this.pos, value };
  }

  private templateLiteral(): Node {
    const start = this.pos;
    const quasis: Node[] = [];
    const expressions: Node[] = [];
    let i = start + 1;
    let partStart = i;
    // Each element's extent includes its delimiters (the backtick, `${` or `}`), as oxc's TS AST has it.
    let elementStart = start;
    for (;;) {
      if (i >= this.end) throw GIVE_UP;
      const c = this.text.charCodeAt(i);
      if (c === C.backslash) {
        i += 2;
        continue;
      }
      if (c === C.cr) throw GIVE_UP;
      const hole = c === C.dollar && this.text.charCodeAt(i + 1) === C.lbrace;
      if (c !== C.backtick && !hole) {
        i++;
        continue;
      }
      const raw = this.text.slice(partStart, i);
      const elementEnd = hole ? i + 2 : i + 1;
      quasis.push({
        type: "TemplateElement",
        start: elementStart,
        end: elementEnd,
        value: { raw, cooked: cook(raw) },
        tail: !hole,
      });
      if (!hole) {
        this.pos = i + 1;
        break;
      }
      this.pos = i + 2;
      expressions.push(this.expression());
      this.trivia();
      elementStart = this.pos;
      this.expectChar(C.rbrace);
      i = partStart = this.pos;
    }
    return { type: "TemplateLiteral", start, end: this.pos, quasis, expressions };
  }

  private numberLiteral(): Node {
    const start = this.pos;
    let i = start;
    const text = this.text;
    if (text.charCodeAt(i) === C.zero && /[xXoObB]/.test(text[i + 1] ?? "")) {
      i += 2;
      while (i < this.end && /[0-9a-fA-F]/.test(text[i]!)) i++;
    } else {
      while (i < this.end && isDigit(text.charCodeAt(i))) i++;
      if (text.charCodeAt(i) === C.dot) {
        i++;
        while (i < this.end && isDigit(text.charCodeAt(i))) i++;
      }
      if (text[i] === "e" || text[i] === "E") {
        i++;
        if (text[i] === "+" || text[i] === "-") i++;
        const digits = i;
        while (i < this.end && isDigit(text.charCodeAt(i))) i++;
        if (i === digits) throw GIVE_UP;
      }
    }
    const raw = text.slice(start, i);
    // Legacy octals (`012`), separators, bigints and `1.foo` are left to the real parser.
    if (i < this.end && (isWordChar(text.charCodeAt(i)) || text.charCodeAt(i) === C.dot)) throw GIVE_UP;
    if (/^0\d/.test(raw)) throw GIVE_UP;
    const value = Number(raw);
    if (Number.isNaN(value)) throw GIVE_UP;
    this.pos = i;
    return { type: "Literal", start, end: i, value };
  }

  // ---- words -------------------------------------------------------------------------------

  private identifier(): Node {
    const start = this.pos;
    if (!isIdentStart(this.char())) throw GIVE_UP;
    const name = this.word();
    return { type: "Identifier", start, end: this.pos, name };
  }

  /** A property name after `.` or an object key: any word, reserved or not. */
  private identifierName(): Node {
    return this.identifier();
  }

  /** An export/import name: an identifier or a string literal. */
  private moduleExportName(): Node {
    const c = this.char();
    if (c === C.dquote || c === C.squote) return this.stringLiteral();
    return this.identifier();
  }

  /** Reads a word at `pos`; gives up on non-ASCII or escaped identifiers. */
  private word(): string {
    const start = this.pos;
    let i = start;
    while (i < this.end) {
      const c = this.text.charCodeAt(i);
      if (c > 127 || c === C.backslash) throw GIVE_UP;
      if (!isWordChar(c)) break;
      i++;
    }
    this.pos = i;
    return this.text.slice(start, i);
  }

  private peekWord(): string {
    const saved = this.pos;
    if (!isIdentStart(this.char())) return "";
    const w = this.word();
    this.pos = saved;
    return w;
  }

  private peekWordAfterTrivia(): string {
    const saved = this.pos;
    this.trivia();
    const w = this.peekWord();
    this.pos = saved;
    return w;
  }

  /** Offset of the first non-trivia character after the word at `pos`. */
  private lookPastWord(): number {
    const saved = this.pos;
    this.word();
    this.trivia();
    const at = this.pos;
    this.pos = saved;
    return at;
  }

  private expectWord(w: string): void {
    if (this.peekWord() !== w) throw GIVE_UP;
    this.pos += w.length;
  }

  private expectChar(c: number): void {
    this.trivia();
    if (this.char() !== c) throw GIVE_UP;
    this.pos++;
  }

  /** The char code at `pos`, or 0 at the statement's end. */
  private char(): number {
    return this.pos < this.end ? this.text.charCodeAt(this.pos) : 0;
  }

  /** True when the trivia just skipped (between the previous token and `pos`) holds a line break. */
  private newlineBefore(): boolean {
    for (let i = this.pos - 1; i >= 0; i--) {
      const c = this.text.charCodeAt(i);
      if (c === C.lf || c === C.cr) return true;
      if (!(c === C.space || c === C.tab)) return false;
    }
    return false;
  }

  /** Skips whitespace and comments. */
  private trivia(): void {
    const text = this.text;
    while (this.pos < this.end) {
      const c = text.charCodeAt(this.pos);
      if (c === C.space || c === C.lf || c === C.tab || c === C.cr || c === 0xa0 || c === 0xfeff) {
        this.pos++;
      } else if (c === C.slash && text.charCodeAt(this.pos + 1) === C.slash) {
        const nl = text.indexOf("\n", this.pos);
        this.pos = nl === -1 || nl > this.end ? this.end : nl;
      } else if (c === C.slash && text.charCodeAt(this.pos + 1) === C.star) {
        const close = text.indexOf("*/", this.pos + 2);
        if (close === -1 || close + 2 > this.end) throw GIVE_UP;
        this.pos = close + 2;
      } else return;
    }
  }

  // ---- skipping -------------------------------------------------------------------------------

  /** Skips a type, from `pos`, up to a stop at bracket depth 0; returns the end of its last token. */
  private skipType(stops: Stops): number {
    return this.skipUntil(stops, true);
  }

  private skipTypeArguments(): void {
    const start = this.pos;
    this.pos++;
    this.skipUntil(STOP_ANGLE, true);
    if (this.char() !== C.gt) throw GIVE_UP;
    this.pos++;
    if (this.pos === start + 2) throw GIVE_UP;
  }

  /** The offset just past the bracket that closes the one at `open`. */
  private skipGroup(open: number): number {
    const saved = this.pos;
    this.pos = open + 1;
    const o = this.text.charCodeAt(open);
    const close = o === C.lparen ? C.rparen : o === C.lbracket ? C.rbracket : C.rbrace;
    this.skipUntil(STOP_CLOSE, false);
    if (this.char() !== close) throw GIVE_UP;
    const after = this.pos + 1;
    this.pos = saved;
    return after;
  }

  /**
   * Skips tokens from `pos` until, at depth 0, a stop character (left unconsumed) or the statement's
   * end; brackets nest (and `<` `>` when `angles`), strings, templates, comments and regular
   * expressions are skipped whole. Returns the end of the last token skipped.
   */
  private skipUntil(stops: Stops, angles: boolean, asi = angles): number {
    const text = this.text;
    let depth = 0;
    let prev = Prev.Operator;
    let wordStart = -1; // the previous token when it is a word, read only before a `/`
    let lastEnd = this.pos;
    for (;;) {
      this.trivia();
      if (this.pos >= this.end) return lastEnd;
      const c = text.charCodeAt(this.pos);
      // A type or an expression ends at a line break before a name (automatic semicolon insertion).
      if (asi && depth === 0 && prev === Prev.Operand && isIdentStart(c) && this.newlineBefore()) {
        return lastEnd;
      }
      if (depth === 0) {
        if (stops.arrow && c === C.eq && text.charCodeAt(this.pos + 1) === C.gt) return lastEnd;
        if (stops.chars.includes(c) && !(c === C.eq && text.charCodeAt(this.pos + 1) === C.gt)) {
          return lastEnd;
        }
      }
      if (c === C.lparen || c === C.lbracket || c === C.lbrace || (angles && c === C.lt)) {
        depth++;
        this.pos++;
        prev = Prev.Operator;
      } else if (c === C.rparen || c === C.rbracket || c === C.rbrace || (angles && c === C.gt)) {
        if (depth === 0) throw GIVE_UP;
        depth--;
        this.pos++;
        prev = Prev.Operand;
      } else if (c === C.eq && text.charCodeAt(this.pos + 1) === C.gt) {
        this.pos += 2;
        prev = Prev.Operator;
      } else if (c === C.dquote || c === C.squote) {
        this.skipString(c);
        prev = Prev.Operand;
      } else if (c === C.backtick) {
        this.skipTemplate();
        prev = Prev.Operand;
      } else if (
        c === C.slash &&
        (prev === Prev.Operator ||
          (wordStart !== -1 && EXPRESSION_KEYWORDS.has(text.slice(wordStart, lastEnd))))
      ) {
        this.skipRegex();
        prev = Prev.Operand;
      } else if (isWordChar(c)) {
        wordStart = this.pos;
        while (this.pos < this.end && isWordChar(text.charCodeAt(this.pos))) this.pos++;
        prev = Prev.Operand;
        lastEnd = this.pos;
        continue;
      } else {
        this.pos++;
        prev = Prev.Operator;
      }
      wordStart = -1;
      lastEnd = this.pos;
    }
  }

  private skipString(quote: number): void {
    const text = this.text;
    let i = this.pos + 1;
    for (;;) {
      if (i >= this.end) throw GIVE_UP;
      const c = text.charCodeAt(i);
      if (c === quote) break;
      if (c === C.lf || c === C.cr) throw GIVE_UP;
      i += c === C.backslash ? 2 : 1;
    }
    this.pos = i + 1;
  }

  private skipTemplate(): void {
    const text = this.text;
    let i = this.pos + 1;
    for (;;) {
      if (i >= this.end) throw GIVE_UP;
      const c = text.charCodeAt(i);
      if (c === C.backslash) i += 2;
      else if (c === C.backtick) {
        this.pos = i + 1;
        return;
      } else if (c === C.dollar && text.charCodeAt(i + 1) === C.lbrace) {
        this.pos = i + 2;
        this.skipUntil(STOP_BRACE, false);
        if (this.char() !== C.rbrace) throw GIVE_UP;
        i = this.pos + 1;
      } else i++;
    }
  }

  private skipRegex(): void {
    const text = this.text;
    let i = this.pos + 1;
    let inClass = false;
    for (;;) {
      if (i >= this.end) throw GIVE_UP;
      const c = text.charCodeAt(i);
      if (c === C.backslash) i += 2;
      else if (c === C.lf || c === C.cr) throw GIVE_UP;
      else if (c === C.lbracket) {
        inClass = true;
        i++;
      } else if (c === C.rbracket) {
        inClass = false;
        i++;
      } else if (c === C.slash && !inClass) {
        i++;
        while (i < this.end && isWordChar(text.charCodeAt(i))) i++;
        this.pos = i;
        return;
      } else i++;
    }
  }
}

interface Stops {
  chars: readonly number[];
  /** Stop at `=>` too. */
  arrow: boolean;
}

/** Where an expression (or an `as` type inside one) ends. */
const STOP_EXPRESSION: Stops = {
  chars: [C.comma, C.rparen, C.rbracket, C.rbrace, C.semi],
  arrow: false,
};
/** Any closing bracket: the end of a group whose opening bracket was just passed. */
const STOP_CLOSE: Stops = { chars: [C.rparen, C.rbracket, C.rbrace], arrow: false };
const STOP_DECLARATOR: Stops = { chars: [C.eq, C.comma, C.semi], arrow: false };
const STOP_ARROW: Stops = { chars: [], arrow: true };
const STOP_BODY: Stops = { chars: [C.lbrace], arrow: false };
const STOP_ANGLE: Stops = { chars: [C.gt], arrow: false };
const STOP_BRACE: Stops = { chars: [C.rbrace], arrow: false };

function isIdentStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 36;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** The value of string or template text with escapes; gives up on escapes strict code forbids. */
function cook(raw: string): string {
  if (!raw.includes("\\")) return raw;
  let out = "";
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i]!;
    if (ch !== "\\") {
      out += ch;
      continue;
    }
    const n = raw[++i];
    switch (n) {
      case "n":
        out += "\n";
        break;
      case "t":
        out += "\t";
        break;
      case "r":
        out += "\r";
        break;
      case "b":
        out += "\b";
        break;
      case "f":
        out += "\f";
        break;
      case "v":
        out += "\v";
        break;
      case "0":
        if (/[0-9]/.test(raw[i + 1] ?? "")) throw GIVE_UP;
        out += "\0";
        break;
      case "x": {
        const hex = raw.slice(i + 1, i + 3);
        if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw GIVE_UP;
        out += String.fromCharCode(Number.parseInt(hex, 16));
        i += 2;
        break;
      }
      case "u": {
        const braced = raw[i + 1] === "{";
        const m = braced
          ? /^\{([0-9a-fA-F]{1,6})\}/.exec(raw.slice(i + 1))
          : /^[0-9a-fA-F]{4}/.exec(raw.slice(i + 1));
        if (!m) throw GIVE_UP;
        const code = Number.parseInt(braced ? m[1]! : m[0], 16);
        if (code > 0x10ffff) throw GIVE_UP;
        out += String.fromCodePoint(code);
        i += m[0].length;
        break;
      }
      case "\n":
        break;
      case undefined:
        throw GIVE_UP;
      default:
        if (/[1-9\r\u2028\u2029]/.test(n)) throw GIVE_UP;
        out += n;
    }
  }
  return out;
}
