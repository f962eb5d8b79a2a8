/**
 * The admin API for served participants (README, "Served participants"), behind HTTP Basic with the
 * configured admin credential (DPI_AP_ADMIN_USER / DPI_AP_ADMIN_PASSWORD):
 *   GET    /admin/participants                          → the stored participants and roles
 *   POST   /admin/participants  {"participant","role"}  → 201 added (200 when it already was), registered in the SMP
 *   DELETE /admin/participants/{participant}[?role=r]   → 204, taken out of the SMP and the store
 * Failures are problem+json: admin-unauthenticated (401), participant-invalid (400), participant-not-found
 * (404), participant-smp-failed (502, or 503 when the SMP could not be reached).
 */
import { timingSafeEqual } from "node:crypto";
import express, { Router, type RequestHandler } from "express";
import { ProblemError } from "../problem.js";
import type { ParticipantsService } from "../participants/service.js";
import { requestIdOf } from "./request-log.js";
import type { ServedParticipantRow } from "../store/participants-repo.js";

export class AdminUnauthenticatedError extends ProblemError {
  constructor(detail: string) {
    super(401, "admin-unauthenticated", "Admin credentials required", detail, { headers: { "WWW-Authenticate": 'Basic realm="dpi-ap admin", charset="UTF-8"' } });
  }
}

export class AdminBodyInvalidError extends ProblemError {
  constructor(detail: string) {
    super(400, "admin-body-invalid", "Invalid request body", detail);
  }
}

export function adminParticipantsRouter(deps: { service: ParticipantsService; credential: { user: string; password: string } }): Router {
  const r = Router();
  r.use(requireAdmin(deps.credential));

  r.get("/participants", async (_req, res) => {
    res.json((await deps.service.list()).map(view));
  });

  const json: RequestHandler = (req, res, next) =>
    express.json({ limit: "16kb", type: () => true })(req, res, (err?: unknown) =>
      next(err === undefined ? undefined : new AdminBodyInvalidError(`the body is not JSON: ${err instanceof Error ? err.message : String(err)}`)),
    );

  r.post("/participants", json, async (req, res) => {
    const body: unknown = req.body;
    if (typeof body !== "object" || body === null || Array.isArray(body)) throw new AdminBodyInvalidError('expected a JSON object {"participant": "...", "role": "sender|postbox|print"}');
    const { participant, role } = body as Record<string, unknown>;
    if (typeof participant !== "string" || typeof role !== "string") throw new AdminBodyInvalidError('"participant" and "role" must be strings');
    const result = await deps.service.add(participant, role, requestIdOf(res));
    res.status(result.created ? 201 : 200).json(view(result.row));
  });

  r.delete("/participants/:participant", async (req, res) => {
    const role = typeof req.query.role === "string" ? req.query.role : undefined;
    await deps.service.remove(req.params.participant, role, requestIdOf(res));
    res.status(204).end();
  });
  return r;
}

function view(row: ServedParticipantRow) {
  return {
    participant: row.participant,
    role: row.role,
    state: row.state,
    smpManaged: row.smpManaged,
    ...(row.lastError ? { lastError: row.lastError } : {}),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

function requireAdmin(credential: { user: string; password: string }): RequestHandler {
  const expected = Buffer.from(`${credential.user}:${credential.password}`);
  return (req, _res, next) => {
    const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(req.get("authorization") ?? "");
    if (!m) return next(new AdminUnauthenticatedError("HTTP Basic credentials of the admin user are required"));
    const given = Buffer.from(m[1]!, "base64");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return next(new AdminUnauthenticatedError("the admin credentials are not valid"));
    next();
  };
}
