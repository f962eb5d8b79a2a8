import type { InboundSource } from "../../core/channel.js";
import type { As4ReceiverDeps } from "./as4-receiver.js";

/**
 * DPI's inbound source (core/channel.ts's InboundSource, push kind): the AS4 endpoint senders' access points
 * post UserMessages to. The api layer mounts it at `path` (src/api/as4-endpoint.ts) with `receiver`, what
 * arrives goes through the DPI inbound handler into the store, and the core inbox serves it. While the source
 * is stopped the endpoint answers 503, so nothing is taken in after the access point began to shut down, and a
 * sender retries it elsewhere or later.
 */
export class As4InboundSource implements InboundSource {
  readonly channel = "DPI" as const;
  readonly kind = "push" as const;
  private running = false;

  constructor(
    readonly path: string,
    readonly receiver: As4ReceiverDeps,
  ) {}

  /** Whether the endpoint takes messages now. */
  get accepting(): boolean {
    return this.running;
  }

  start(): void {
    this.running = true;
  }

  async stop(): Promise<void> {
    this.running = false;
  }
}
