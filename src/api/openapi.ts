import { Router } from "express";
import { CONTRACT_STATUSES } from "../dpi/status-model.js";

/**
 * The REST API as OpenAPI 3.0: Digdir's corner-2 paths (same names, parameters and media types) plus our own
 * additions (conversation timeline, health). Kept by hand next to the routers it describes.
 */
const problem = { $ref: "#/components/responses/Problem" };
const standardErrors = { "400": problem, "401": problem, "403": problem };
const idParam = { name: "id", in: "path", required: true, schema: { type: "string", format: "uuid" } };

export const openApiDocument = {
  openapi: "3.0.3",
  info: {
    title: "DPI access point API",
    version: "1.0.0",
    description:
      "Corner-2/corner-3 API of a Peppol AS4 access point for Digital Post til Innbygger. Business systems post letters to " +
      "/messages/out and read receipts from /messages/in; postbox providers read letters from /messages/in and post receipts " +
      "to /messages/out. Every operation except health and this document needs a Maskinporten bearer token.",
  },
  security: [{ maskinporten: [] }],
  paths: {
    "/messages/out": {
      post: {
        summary: "Submit a message (letter or receipt)",
        parameters: [{ name: "kanal", in: "query", required: false, schema: { type: "string", pattern: "^[A-Za-z0-9_-]{1,64}$" } }],
        requestBody: {
          required: true,
          content: {
            "multipart/form-data": {
              schema: {
                type: "object",
                required: ["forretningsmelding"],
                properties: {
                  forretningsmelding: { type: "string", description: "Signed forretningsmelding (compact JWS, RS256/RS512, x5c)" },
                  dokumentpakke: { type: "string", format: "binary", description: "CMS EnvelopedData of the ASiC-E package; letters only" },
                },
              },
            },
          },
        },
        responses: {
          "201": {
            description: "Accepted and stored with status OPPRETTET; the same caller's byte-identical resubmission under the same message id gets this answer again",
            content: { "application/json": { schema: { $ref: "#/components/schemas/Accepted" } } },
          },
          ...standardErrors,
          "409": problem,
          "413": problem,
          "415": problem,
          "503": problem,
        },
      },
    },
    "/messages/out/{id}/statuses": {
      get: {
        summary: "Status history of a sent message",
        parameters: [idParam],
        responses: {
          "200": { description: "Statuses, oldest first", content: { "application/json": { schema: { type: "array", items: { $ref: "#/components/schemas/Status" }, uniqueItems: true } } } },
          ...standardErrors,
          "404": problem,
        },
      },
    },
    "/messages/in": {
      get: {
        summary: "Unread incoming messages",
        parameters: [
          { name: "avsenderidentifikator", in: "query", schema: { type: "string" } },
          { name: "kanal", in: "query", schema: { type: "string" } },
          { name: "page_size", in: "query", schema: { type: "integer", minimum: 1, maximum: 1000, default: 100 } },
          { name: "page", in: "query", schema: { type: "integer", minimum: 0, default: 0 } },
        ],
        responses: {
          "200": { description: "Unread messages, oldest first", content: { "application/json": { schema: { type: "array", items: { $ref: "#/components/schemas/IncomingMessage" } } } } },
          "204": { description: "No unread messages" },
          ...standardErrors,
        },
      },
    },
    "/messages/in/{id}": {
      get: {
        summary: "Download the encrypted dokumentpakke of an incoming message",
        parameters: [idParam],
        responses: {
          "200": {
            description:
              "The encrypted dokumentpakke: the CMS bytes as stored, not JSON. The media type is the one Digdir's corner-2 OpenAPI declares " +
              "(application/json with a binary schema); Content-Disposition names it <id>.asic.cms.",
            content: { "application/json": { schema: { type: "string", format: "binary" } } },
          },
          ...standardErrors,
          "404": problem,
        },
      },
    },
    "/messages/in/{id}/read": {
      post: {
        summary: "Confirm an incoming message; it leaves GET /messages/in",
        parameters: [idParam],
        responses: { "200": { description: "Marked as read" }, ...standardErrors, "404": problem },
      },
    },
    "/status/{conversationId}": {
      get: {
        summary: "Timeline of a conversation: our statuses and every receipt received",
        parameters: [{ name: "conversationId", in: "path", required: true, schema: { type: "string" } }],
        responses: { "200": { description: "Timeline", content: { "application/json": { schema: { $ref: "#/components/schemas/Timeline" } } } }, ...standardErrors, "404": problem },
      },
    },
    "/health/live": { get: { summary: "Liveness", security: [], responses: { "200": { description: "Up" } } } },
    "/health/ready": { get: { summary: "Readiness (database, payload store)", security: [], responses: { "200": { description: "Ready" }, "503": { description: "Not ready" } } } },
    "/openapi.json": { get: { summary: "This document", security: [], responses: { "200": { description: "OpenAPI 3.0 document" } } } },
    "/metrics": { get: { summary: "Prometheus metrics (when DPI_AP_METRICS is on)", security: [], responses: { "200": { description: "Prometheus text format" } } } },
  },
  components: {
    securitySchemes: { maskinporten: { type: "http", scheme: "bearer", bearerFormat: "JWT", description: "Maskinporten token with scope digitalpostinnbygger:send" } },
    responses: { Problem: { description: "RFC 7807 problem", content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } } } },
    schemas: {
      Problem: {
        type: "object",
        properties: { type: { type: "string", format: "uri" }, title: { type: "string" }, status: { type: "integer" }, detail: { type: "string" }, instance: { type: "string" }, code: { type: "string" }, requestId: { type: "string", description: "the X-Request-Id of the request" } },
      },
      Accepted: { type: "object", properties: { id: { type: "string" }, conversationId: { type: "string" }, documentType: { type: "string" }, status: { type: "string", enum: ["OPPRETTET"] } } },
      Status: {
        type: "object",
        required: ["status", "timestamp"],
        properties: {
          status: { type: "string", enum: [...CONTRACT_STATUSES], description: "Digdir's statuses; a letter that expired without a receipt is FEILET with a beskrivelse starting LEVETID_UTLOPT" },
          beskrivelse: { type: "string" },
          timestamp: { type: "string", format: "date-time" },
        },
      },
      IncomingMessage: { type: "object", required: ["forretningsmelding"], properties: { forretningsmelding: { type: "string" }, downloadurl: { type: "string", format: "uri" } } },
      Timeline: {
        type: "object",
        properties: {
          conversationId: { type: "string" },
          events: {
            type: "array",
            items: {
              type: "object",
              properties: {
                timestamp: { type: "string", format: "date-time" },
                messageId: { type: "string" },
                documentType: { type: "string" },
                direction: { type: "string", enum: ["OUT", "IN"] },
                kind: { type: "string", enum: ["status", "receipt"] },
                status: { type: "string", description: "kind status: OPPRETTET, SENDT, FEILET, LEVETID_UTLOPT (sent) or MOTTATT (received); kind receipt: LEVERT, LEST or FEIL" },
                beskrivelse: { type: "string" },
              },
            },
          },
        },
      },
    },
  },
} as const;

export function openApiRouter(): Router {
  const r = Router();
  r.get("/openapi.json", (_req, res) => {
    res.json(openApiDocument);
  });
  return r;
}
