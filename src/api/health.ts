import { Router } from "express";

export interface ReadinessCheck {
  name: string;
  check(): Promise<void>;
}

/** Liveness says the process answers; readiness says its database and payload store work. */
export function healthRouter(checks: ReadinessCheck[]): Router {
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
          return { name: c.name, status: "DOWN" as const, detail: (err as Error).message };
        }
      }),
    );
    const up = results.every((r) => r.status === "UP");
    res.status(up ? 200 : 503).json({ status: up ? "UP" : "DOWN", checks: results });
  });
  return r;
}
