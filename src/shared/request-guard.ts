import type { IncomingMessage } from "node:http";
import { isIPv4, isIPv6 } from "node:net";
import { FlashError } from "./errors.ts";

/**
 * What the emulator and the dev server accept from where, in one place (the defence Vite adopted
 * for the same class of attack, CVE-2025-24010):
 * - Host: only names a web page cannot point at this machine by DNS rebinding — `localhost`,
 *   `*.localhost`, IP literals, the host the server was bound with, and `--allowed-hosts`;
 * - Origin: a browser request from another origin (`null` included) is refused, and so is a
 *   cross-site subresource load (`<img>`, `<script>`) that carries no Origin but says where it
 *   came from in `Sec-Fetch-Site`; a top-level navigation (opening /docs) is let through;
 * - Content-Type: a route reading a JSON body requires a JSON type, so a page cannot post one as
 *   a "simple" cross-origin request (text/plain, form) that skips the CORS preflight.
 * Non-browser clients (curl, SDKs, workers) send neither Origin nor Sec-Fetch-Site and pass on a
 * few header reads and one map lookup: the guard sits on hot paths (worker polls, fast routes).
 */

/** `--allowed-hosts`: names (a leading dot allows every subdomain too), or `"all"` to skip the Host check. */
export type AllowedHosts = readonly string[] | "all";

export interface RequestGuardOptions {
  /** The host the server was bound with (`--host`); always allowed. */
  boundHost: string;
  /** Extra allowed names from `--allowed-hosts`. */
  allowedHosts?: AllowedHosts;
}

/** Why a request is refused: the HTTP status and a message saying how to get in. */
export interface Refusal {
  status: number;
  message: string;
}

/** Checks a request's Host and Origin; undefined when it may go on. */
export type RequestGuard = (req: IncomingMessage) => Refusal | undefined;

/** The environment variable `--allowed-hosts` also reads. */
export const ALLOWED_HOSTS_ENV = "FLASH_ALLOWED_HOSTS";

/** Host header values already judged; bounded so that a flood of made-up names cannot grow it. */
const HOST_CACHE_SIZE = 256;

export function createRequestGuard(options: RequestGuardOptions): RequestGuard {
  const allowAll = options.allowedHosts === "all";
  const extra = allowAll ? [] : ((options.allowedHosts as readonly string[] | undefined) ?? []);
  const bound = options.boundHost.toLowerCase().replace(/^\[(.*)\]$/, "$1");
  const judged = new Map<string, boolean>();
  const hostAllowed = (host: string): boolean => {
    let ok = judged.get(host);
    if (ok === undefined) {
      ok = isAllowedHostname(hostnameOf(host), bound, extra);
      if (judged.size >= HOST_CACHE_SIZE) judged.clear();
      judged.set(host, ok);
    }
    return ok;
  };

  return (req) => {
    const host = req.headers.host;
    // No Host at all is no browser (they always send one); Node already refuses it on HTTP/1.1.
    if (host !== undefined && !allowAll && !hostAllowed(host)) {
      return {
        status: 403,
        message:
          `Host ${JSON.stringify(host)} is not allowed: this server answers only localhost, IP addresses ` +
          `and the host it was started with, so that a web page cannot reach it through DNS rebinding. ` +
          `To allow this name, start it with --allowed-hosts ${allowedHostHint(host)} (or ${ALLOWED_HOSTS_ENV}=...).`,
      };
    }
    const origin = req.headers.origin;
    if (origin !== undefined) {
      if (host !== undefined && isOwnOrigin(origin, host)) return undefined;
      return {
        status: 403,
        message:
          `Cross-origin request refused: Origin ${JSON.stringify(origin)} is not this server's origin` +
          `${host === undefined ? "" : ` (http://${host})`}. Browsers may call it only from pages it serves ` +
          `itself; call it from a server, a script or curl instead.`,
      };
    }
    const site = req.headers["sec-fetch-site"];
    if ((site === "cross-site" || site === "same-site") && req.headers["sec-fetch-mode"] !== "navigate") {
      return {
        status: 403,
        message:
          `Cross-site request refused (Sec-Fetch-Site: ${site}): a page of another site may link to this ` +
          `server but not load from it.`,
      };
    }
    return undefined;
  };
}

/** True for an Origin that is this server's own: the scheme (http, or https behind a proxy) and the Host the request names. */
function isOwnOrigin(origin: string, host: string): boolean {
  if (origin.length === host.length + 7 && origin.startsWith("http://") && origin.endsWith(host)) return true;
  const o = origin.toLowerCase();
  const h = host.toLowerCase();
  return o === `http://${h}` || o === `https://${h}`;
}

/** The name part of a Host header (`[::1]` kept in brackets), lowercased; undefined when malformed. */
function hostnameOf(host: string): string | undefined {
  if (host.startsWith("[")) {
    const end = host.indexOf("]");
    if (end < 0) return undefined;
    const rest = host.slice(end + 1);
    if (rest !== "" && !/^:\d*$/.test(rest)) return undefined;
    return host.slice(0, end + 1).toLowerCase();
  }
  const colon = host.indexOf(":");
  const name = colon < 0 ? host : host.slice(0, colon);
  if (colon >= 0 && !/^\d*$/.test(host.slice(colon + 1))) return undefined;
  return name.toLowerCase();
}

function isAllowedHostname(name: string | undefined, bound: string, extra: readonly string[]): boolean {
  if (!name) return false;
  if (name === "localhost" || name.endsWith(".localhost")) return true;
  if (isIPv4(name)) return true;
  if (name.startsWith("[")) return isIPv6(name.slice(1, -1));
  if (name === bound) return true;
  for (const entry of extra) {
    if (entry.startsWith(".") ? name === entry.slice(1) || name.endsWith(entry) : name === entry) return true;
  }
  return false;
}

function allowedHostHint(host: string): string {
  const name = hostnameOf(host);
  return name && /^[a-z0-9.-]+$/.test(name) ? name : "<name>";
}

/**
 * Parses `--allowed-hosts` (or {@link ALLOWED_HOSTS_ENV}): comma-separated host names, `.example.com`
 * for a domain and its subdomains, or `all`.
 * @throws FlashError USAGE on an entry that is not a host name
 */
export function parseAllowedHosts(value: string | undefined): AllowedHosts | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  const entries = value
    .split(",")
    .map((e) => e.trim().toLowerCase())
    .filter(Boolean);
  if (entries.includes("all")) return "all";
  for (const entry of entries) {
    if (!/^\.?[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*\.?$/.test(entry)) {
      throw new FlashError("USAGE", `--allowed-hosts: ${JSON.stringify(entry)} is not a host name.`, {
        hint: "Give names without scheme or port, comma-separated (e.g. --allowed-hosts myhost.lan,.example.com), or `all` to skip the Host check.",
      });
    }
  }
  return entries;
}

/** What a route reading a JSON body accepts besides JSON (the worker protocol: RunPod's Python worker posts its results as form-urlencoded). */
export interface JsonBodyOptions {
  alsoForm?: boolean;
}

/**
 * The refusal of a body whose Content-Type is not JSON (`application/json` or `application/*+json`,
 * parameters allowed); undefined when it is, or when there is no body. Call it once the body is read.
 */
export function nonJsonBodyRefusal(
  contentType: string | undefined,
  bodyLength: number,
  options: JsonBodyOptions = {},
): Refusal | undefined {
  if (bodyLength === 0 || contentType === "application/json") return undefined;
  if (contentType !== undefined) {
    // `application/json; charset=utf-8` without allocating; anything else is parsed below.
    const next = contentType.charCodeAt(16);
    if (contentType.startsWith("application/json") && (next === 59 || next === 32)) return undefined;
    const semi = contentType.indexOf(";");
    const type = (semi < 0 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
    if (type === "application/json" || (type.startsWith("application/") && type.endsWith("+json"))) {
      return undefined;
    }
    if (options.alsoForm && type === "application/x-www-form-urlencoded") return undefined;
  }
  return {
    status: 415,
    message:
      `The body must be JSON with Content-Type: application/json` +
      `${contentType === undefined ? " (none was sent)" : ` (got ${JSON.stringify(contentType)})`}; ` +
      `e.g. curl -H 'content-type: application/json' -d '{"input": {}}'.`,
  };
}

/**
 * The refusal of a path whose percent-encoding is malformed (`%ZZ`, or bytes that are not UTF-8),
 * which would otherwise throw wherever a route decodes it; undefined for a well-formed path.
 * `path` is the URL without its query.
 */
export function malformedPathRefusal(path: string): Refusal | undefined {
  if (!path.includes("%")) return undefined;
  try {
    decodeURIComponent(path);
    return undefined;
  } catch {
    return { status: 400, message: `malformed percent-encoding in the path: ${path}` };
  }
}
