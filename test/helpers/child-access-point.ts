import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { ROOT } from "./certs.js";
import { eventually } from "./dpi-network.js";

/** A loopback port free right now (the crash tests start a child on it, and restart it on the same port). */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

/**
 * An access point as its own process (production mode, configured only by `env`), for tests that kill it with
 * SIGKILL and start it again on the same database. Its stdout and stderr are kept for failure messages.
 */
export class ChildAccessPoint {
  private output = "";
  private readonly proc: ChildProcess;

  constructor(env: NodeJS.ProcessEnv, private readonly port: number) {
    this.proc = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    this.proc.stdout!.on("data", (d) => (this.output += d));
    this.proc.stderr!.on("data", (d) => (this.output += d));
  }

  get log(): string {
    return this.output;
  }

  /** Until /health/ready answers 200; the child's output in the error otherwise. */
  async ready(timeoutMs = 30_000): Promise<void> {
    await eventually("the access point ready", async () => ((await fetch(`http://127.0.0.1:${this.port}/health/ready`).catch(() => undefined))?.ok ? true : undefined), timeoutMs).catch(
      (e: Error) => {
        throw new Error(`${e.message}\n${this.output}`);
      },
    );
  }

  /** SIGKILL, resolved once the process is gone. */
  async kill(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = new Promise((r) => this.proc.once("exit", r));
    this.proc.kill("SIGKILL");
    await exited;
  }
}
