import { Router } from "express";
import type { Logger } from "../log.js";
import { requestLogger } from "./request-log.js";

export interface ReadinessCheck {
  name: string;
  check(): Promise<void>;
}

/**
 * Liveness says the process answers; readiness says its database and payload store work. A failed check is
 * named in the answer but its error is only logged (with the request id): error text can carry paths,
 * host names or connection strings, and the probe is unauthenticated.
 */
export function healthRouter(checks: ReadinessCheck[], log: Logger): Router {
  const r = Router();
  r.get("/health/live", (_req, res) => {
    res.json({ status: "UP" });
  });
  r.get("/health/ready", async (_req, res) => {
    const results = await Promise.all(
      checks.map(async (c) => {
        try {
          await c.check();
          return { name: c.name, status: "UP" as const };
        } catch (err) {
          requestLogger(log, res).error({ err, check: c.name }, "readiness check failed");
          return { name: c.name, status: "DOWN" as const };
        }
      }),
    );
    const up = results.every((r) => r.status === "UP");
    res.status(up ? 200 : 503).json({ status: up ? "UP" : "DOWN", checks: results });
  });
  return r;
}
