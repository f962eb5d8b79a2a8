import type { Server } from "node:http";
import type { AddressInfo } from "node:net";

/** Starts a simulator's HTTP server on `host:port` (0: any free port); rejects when the port cannot be had. */
export function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

/** A listening simulator's base URL and how to stop it (open connections closed at once). */
export interface Served {
  /** `http://host:port`, no trailing slash. */
  url: string;
  close(): Promise<void>;
}

/** {@link listen}, answered with the server's base URL and a close that does not wait for idle keep-alive connections. */
export async function serve(server: Server, port: number, host: string): Promise<Served> {
  const address = await listen(server, port, host);
  const name = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `http://${name}:${address.port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
