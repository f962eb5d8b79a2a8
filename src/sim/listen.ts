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
