import { createHash, timingSafeEqual } from "node:crypto";
import { Router, type RequestHandler } from "express";
import type { Metrics } from "../metrics.js";
import { ProblemError } from "../problem.js";

export class MetricsTokenError extends ProblemError {
  constructor() {
    super(401, "metrics-token-invalid", "Metrics token missing or wrong", "GET /metrics requires Authorization: Bearer with the token configured in DPI_AP_METRICS_TOKEN");
    this.name = "MetricsTokenError";
  }
}

/**
 * GET /metrics in Prometheus text format; with a token, only for `Authorization: Bearer <token>`. Both sides
 * are hashed before the constant-time comparison, so neither the token's bytes nor its length leak through
 * the time an answer takes.
 */
export function metricsRouter(metrics: Metrics, token?: string): Router {
  const r = Router();
  const expected = token === undefined ? undefined : sha256(token);
  const guard: RequestHandler = (req, res, next) => {
    res.set("Cache-Control", "no-store");
    if (expected === undefined) return next();
    const presented = /^Bearer +(\S+) *$/i.exec(req.get("authorization") ?? "")?.[1];
    if (presented !== undefined && timingSafeEqual(sha256(presented), expected)) return next();
    res.set("WWW-Authenticate", 'Bearer realm="dpi-ap-metrics"');
    next(new MetricsTokenError());
  };
  r.get("/metrics", guard, async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  return r;
}

function sha256(s: string): Buffer {
  return createHash("sha256").update(s, "utf8").digest();
}
