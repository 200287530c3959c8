import { request } from "node:http";
import { connect } from "node:net";

/** An answer of {@link rawRequest}: the status and the body parsed as JSON (undefined when it is not). */
export interface RawAnswer {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary response fields
  json: any;
}

/**
 * A request with exactly these headers, Host, Origin and Sec-Fetch-* included (fetch does not let a
 * test set those), as a browser or a hostile page would send them.
 */
export function rawRequest(
  url: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<RawAnswer> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, method, path, headers }, (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (d: string) => {
        text += d;
      });
      res.on("end", () => {
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, json });
      });
    });
    req.on("error", reject);
    req.end(body);
  });
}

/**
 * Sends the head of a request announcing a longer body than it then sends, and never sends the
 * rest; resolves with everything the server wrote until it closed the connection.
 */
export function stalledRequest(port: number, path: string, extraHeaders = ""): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => {
      socket.write(
        `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${extraHeaders}` +
          'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"input":',
      );
    });
    let text = "";
    socket.setEncoding("utf8").on("data", (d: string) => {
      text += d;
    });
    socket.on("close", () => resolve(text));
    socket.on("error", reject);
  });
}
