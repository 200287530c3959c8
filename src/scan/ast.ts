import type { Expression, Node } from "oxc-parser";

/** Removes TypeScript-only wrappers (`x as T`, `x satisfies T`, `x!`, `<T>x`) and parentheses. */
export function unwrap(node: Expression): Expression {
  let n: Expression = node;
  for (;;) {
    switch (n.type) {
      case "TSAsExpression":
      case "TSSatisfiesExpression":
      case "TSNonNullExpression":
      case "TSTypeAssertion":
      case "ParenthesizedExpression":
        n = n.expression;
        continue;
      default:
        return n;
    }
  }
}

/** The name of a non-computed property key or module export name, else undefined. */
export function keyName(node: Node): string | undefined {
  if (node.type === "Identifier") return node.name;
  if (node.type === "Literal" && typeof node.value === "string") return node.value;
  return undefined;
}

/** Calls `visit` on every node below `root` (depth first), skipping type annotations. */
export function walk(root: Node, visit: (node: Node) => void): void {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const value = stack.pop();
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push(value[i]);
      continue;
    }
    if (typeof value !== "object" || value === null) continue;
    const node = value as Node;
    if (typeof node.type !== "string") continue;
    visit(node);
    for (const key in node) {
      if (key === "parent" || key === "typeAnnotation" || key === "returnType" || key === "typeArguments")
        continue;
      const child = (node as unknown as Record<string, unknown>)[key];
      if (typeof child === "object" && child !== null) stack.push(child);
    }
  }
}
