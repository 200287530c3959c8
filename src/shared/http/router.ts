/**
 * The routing core every Flash server uses (the dev server, the emulator, the load-balanced worker
 * runtime): one table of `{method, path}` routes with `{param}` segments and a trailing `{rest*}`,
 * matched the same way everywhere, so a rule (trailing slash, 405 versus 404, HEAD, parameter
 * decoding) is written once. Pure: no node:http here, so it is tested as data.
 */

/** One route: `path` is literal segments and `{name}` parameters, optionally ending in `{name*}`. */
export interface RouteDef<H> {
  method: string;
  path: string;
  handler: H;
}

/** What a request path and method match. */
export type RouteMatch<H> =
  | { kind: "found"; handler: H; params: Record<string, string>; route: RouteDef<H> }
  /** The path exists with other methods: a 405 with `Allow: allowed`. */
  | { kind: "method"; allowed: string[] }
  | { kind: "none" }
  /** A path segment is not valid percent-encoding: a 400. */
  | { kind: "malformed"; message: string };

interface Node<H> {
  literal: Map<string, Node<H>>;
  param?: { name: string; node: Node<H> };
  rest?: { name: string; methods: Map<string, RouteDef<H>> };
  methods: Map<string, RouteDef<H>>;
}

const node = <H>(): Node<H> => ({ literal: new Map(), methods: new Map() });

const PARAM = /^\{([A-Za-z_][A-Za-z0-9_]*)\}$/;
const REST = /^\{([A-Za-z_][A-Za-z0-9_]*)\*\}$/;

/**
 * A segment trie of routes. Literal segments win over parameters, parameters over a rest match;
 * a path with a trailing slash matches the route without it; `HEAD` is answered by `GET` routes.
 * @throws Error for two routes with the same method and shape (a bug in the caller's table)
 */
export class Router<H> {
  private readonly root: Node<H> = node();
  /** Static routes by `METHOD path`, the fast case (most requests). */
  private readonly exact = new Map<string, RouteDef<H>>();

  constructor(routes: Iterable<RouteDef<H>> = []) {
    for (const route of routes) this.add(route);
  }

  add(route: RouteDef<H>): void {
    const segments = splitPath(route.path);
    let at = this.root;
    for (let i = 0; i < segments.length; i++) {
      const segment = segments[i]!;
      const rest = REST.exec(segment);
      if (rest) {
        if (i !== segments.length - 1)
          throw new Error(`${route.path}: {${rest[1]}*} must be the last segment`);
        at.rest ??= { name: rest[1]!, methods: new Map() };
        setMethod(at.rest.methods, route);
        return;
      }
      const param = PARAM.exec(segment);
      if (param) {
        if (at.param && at.param.name !== param[1]) {
          throw new Error(`${route.path}: {${param[1]}} clashes with {${at.param.name}} at the same place`);
        }
        at.param ??= { name: param[1]!, node: node() };
        at = at.param.node;
      } else {
        let next = at.literal.get(segment);
        if (!next) {
          next = node();
          at.literal.set(segment, next);
        }
        at = next;
      }
    }
    setMethod(at.methods, route);
    if (!route.path.includes("{")) this.exact.set(`${route.method} /${segments.join("/")}`, route);
  }

  /** Matches a request; `path` is the URL path without the query, still percent-encoded. */
  match(method: string, path: string): RouteMatch<H> {
    // One trailing slash is ignored (`/a/` is `/a`); `//` is not `/`.
    const bare =
      path.length > 1 && path.endsWith("/") && path[path.length - 2] !== "/" ? path.slice(0, -1) : path;
    const hit =
      this.exact.get(`${method} ${bare}`) ?? (method === "HEAD" ? this.exact.get(`GET ${bare}`) : undefined);
    if (hit) return { kind: "found", handler: hit.handler, params: {}, route: hit };
    const segments = splitPath(bare);
    const params: Record<string, string> = {};
    let found: { methods: Map<string, RouteDef<H>>; params: Record<string, string> } | undefined;
    try {
      found = walk(this.root, segments, 0, params);
    } catch (err) {
      if (err instanceof URIError)
        return { kind: "malformed", message: `the path ${path} is not valid percent-encoding` };
      throw err;
    }
    if (!found) return { kind: "none" };
    const route = found.methods.get(method) ?? (method === "HEAD" ? found.methods.get("GET") : undefined);
    if (route) return { kind: "found", handler: route.handler, params: found.params, route };
    const allowed = [...found.methods.keys()];
    if (allowed.includes("GET") && !allowed.includes("HEAD")) allowed.push("HEAD");
    return { kind: "method", allowed };
  }
}

function walk<H>(
  at: Node<H>,
  segments: readonly string[],
  i: number,
  params: Record<string, string>,
): { methods: Map<string, RouteDef<H>>; params: Record<string, string> } | undefined {
  if (i === segments.length) {
    if (at.methods.size > 0) return { methods: at.methods, params };
    if (at.rest) return { methods: at.rest.methods, params: { ...params, [at.rest.name]: "" } };
    return undefined;
  }
  const segment = segments[i]!;
  const literal = at.literal.get(segment);
  if (literal) {
    const found = walk(literal, segments, i + 1, params);
    if (found) return found;
  }
  if (at.param && segment !== "") {
    const found = walk(at.param.node, segments, i + 1, {
      ...params,
      [at.param.name]: decodeURIComponent(segment),
    });
    if (found) return found;
  }
  if (at.rest) {
    return { methods: at.rest.methods, params: { ...params, [at.rest.name]: segments.slice(i).join("/") } };
  }
  return undefined;
}

function setMethod<H>(methods: Map<string, RouteDef<H>>, route: RouteDef<H>): void {
  if (methods.has(route.method)) throw new Error(`two routes for ${route.method} ${route.path}`);
  methods.set(route.method, route);
}

/** `/a/b` → `["a", "b"]`; `/` → `[]`. */
function splitPath(path: string): string[] {
  const trimmed = path.startsWith("/") ? path.slice(1) : path;
  return trimmed === "" ? [] : trimmed.split("/");
}
