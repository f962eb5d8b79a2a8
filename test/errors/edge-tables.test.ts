import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import type { Request, Response } from "express";
import { bearerChallenge } from "../../src/api/auth.js";
import { PROBLEM_ROWS, STATUS_BY_KIND, problemRowOf } from "../../src/api/problem-map.js";
import { problemHandler } from "../../src/api/problem-middleware.js";
import type { EbmsErrorCode } from "../../src/as4/ebms-errors.js";
import { DomainError, ERROR_KINDS } from "../../src/errors.js";
import { silentLogger } from "../../src/log.js";
import { TokenError } from "../../src/maskinporten/errors.js";
import { NetworkError, networkFailure } from "../../src/network-errors.js";
import { PkiError } from "../../src/pki/errors.js";
import * as sbd from "../../src/sbd/errors.js";
import { NextMoveError } from "../../src/sbd/errors.js";
import { ebmsCodeOf } from "../../src/channels/dpi/ebms-map.js";
import { AS4_BEFORE, CHALLENGE_BEFORE, OUTBOX_LOOKUP_BEFORE, REST_BEFORE, type ProblemAnswer } from "./before.js";
import { SAMPLES } from "./samples.js";

const samples = Object.entries(SAMPLES).map(([label, make]) => ({ label, err: make() as DomainError }));
const codeOf = (label: string) => label.replace(/ \[.*\]$/, "");

/**
 * Packaging errors no REST caller can cause (a key of ours or a registry's, an envelope or container another
 * integrasjonspunkt sent): like PKI errors, a fault of ours when they reach the REST API unwrapped.
 */
const PACKAGING_WITHOUT_ROW: readonly string[] = [
  "packaging-key-invalid",
  "cms-malformed",
  "cms-unsupported-algorithm",
  "cms-wrong-recipient",
  "cms-decrypt-failed",
  "efm-asic-malformed",
  "efm-asic-limit-exceeded",
  "efm-asic-signature-missing",
  "efm-asic-signature-malformed",
  "efm-asic-signature-invalid",
  "efm-asic-unsupported-algorithm",
  "efm-asic-digest-mismatch",
  "efm-asic-file-not-covered",
  "efm-asic-file-missing",
  "efm-asic-manifest-invalid",
  "efm-asic-signer-untrusted",
];
const INTERNAL_ERROR: ProblemAnswer = { status: 500, code: "internal-error", title: "Internal server error" };

/** What the REST API's problem handler answers for `err`: status, problem code and title, failure headers. */
function answer(err: unknown): ProblemAnswer {
  let status = 0;
  let body = "";
  const headers: Record<string, string> = {};
  const res = {
    headersSent: false,
    locals: {},
    get: () => undefined,
    set(name: string | Record<string, string>, value?: string) {
      if (typeof name === "string") headers[name] = value!;
      else Object.assign(headers, name);
      return res;
    },
    status(s: number) {
      status = s;
      return res;
    },
    type: () => res,
    send(b: string) {
      body = b;
      return res;
    },
  };
  const req = { method: "POST", path: "/messages/out", originalUrl: "/messages/out", complete: true };
  problemHandler(silentLogger)(err, req as unknown as Request, res as unknown as Response, () => undefined);
  const doc = JSON.parse(body) as { code: string; title: string; status: number };
  expect(doc.status).to.equal(status);
  delete headers["X-Content-Type-Options"];
  return { status, code: doc.code, title: doc.title, ...(Object.keys(headers).length > 0 ? { headers } : {}) };
}

describe("domain errors", () => {
  it("are DomainErrors with their code and a kind from the closed list", () => {
    for (const { label, err } of samples) {
      expect(err, label).to.be.instanceOf(DomainError);
      expect(err.code, label).to.equal(codeOf(label));
      expect(ERROR_KINDS, label).to.include(err.kind);
      expect(err.detail, label).to.equal(err.message);
    }
  });

  it("carry no HTTP status, headers, title, ebMS code or retry flag", () => {
    for (const { label, err } of samples) {
      for (const field of ["status", "headers", "title", "ebmsCode", "retryable", "toProblem", "challenge", "bearerError"]) {
        expect(field in err, `${label}.${field}`).to.equal(false);
      }
    }
  });
});

describe("REST edge: the problem table", () => {
  it("every domain error keeps the status, code, title and headers it had", () => {
    const actual = Object.fromEntries(samples.map(({ label, err }) => [label, answer(err)]));
    expect(actual).to.deep.equal(REST_BEFORE);
  });

  it("has a row for every code but the PKI's and the packaging's no caller can cause, and no row without an error", () => {
    const codes = new Set(samples.filter(({ err }) => !(err instanceof PkiError) && !PACKAGING_WITHOUT_ROW.includes(err.code)).map(({ err }) => err.code));
    expect(Object.keys(PROBLEM_ROWS).sort()).to.deep.equal([...codes].sort());
    for (const code of PACKAGING_WITHOUT_ROW) expect(answer(SAMPLES[code]!()), code).to.deep.equal(INTERNAL_ERROR);
  });

  it("takes the status from the kind, except where a row says why not", () => {
    const overridden = samples.filter(({ err }) => problemRowOf(err) && answer(err).status !== STATUS_BY_KIND[err.kind]).map(({ label }) => label);
    expect(overridden).to.deep.equal([
      "peppol-smp-untrusted-certificate [revocation outage]",
      "peppol-smp-http-failure [timeout]",
      "peppol-smp-http-failure [network, retryable]",
      "peppol-smp-http-failure [status 503]",
      "subscription-exists",
      // 410 Gone: the link existed and will not work again.
      "dpf-mail-link-expired",
      "receiver-does-not-accept-process",
      "service-registry-http-failure [timeout]",
      "service-registry-http-failure [network, retryable]",
      "service-registry-http-failure [status 503]",
      "nextmove-message-not-locked",
    ]);
  });

  it("answers a NextMove SBD refusal with the integrasjonspunkt's status, but 400 where it fails with 500", () => {
    const nextMove = samples.filter(({ err }) => err instanceof NextMoveError).map(({ label, err }) => [label, (err as NextMoveError).ipStatus, answer(err).status]);
    expect(nextMove).to.have.length(25);
    expect(nextMove.filter(([, ip, rest]) => ip !== rest)).to.deep.equal([
      ["nextmove-partner-identifier-invalid", 500, 400],
      ["nextmove-missing-conversation-scope", 500, 400],
      ["arkivmelding-missing-journalpost", 500, 400],
    ]);
  });

  it("follows ipStatus itself, not only a kind that gives the same status", () => {
    // Every NextMove error's kind gives its ipStatus today, so the samples alone cannot tell the two apart.
    const notFound = Object.assign(new sbd.FileNotFoundError(["a.pdf"]), { ipStatus: 410 });
    const exists = Object.assign(new sbd.MessageAlreadyExistsError("m-1"), { ipStatus: 409 });
    expect([answer(notFound).status, answer(exists).status]).to.deep.equal([410, 409]);
  });

  it("gives every refused token the WWW-Authenticate challenge it had", () => {
    const actual = Object.fromEntries(
      samples
        .filter(({ err }) => err instanceof TokenError)
        .map(({ label, err }) => {
          const t = err as TokenError;
          const without = bearerChallenge(t, "dpi-ap");
          return [label, without === undefined ? null : [without, bearerChallenge(t, "dpi-ap", "digdir:dpi.sender")!]];
        }),
    );
    expect(actual).to.deep.equal(CHALLENGE_BEFORE);
  });
});

/*
 * Codes that can stop an inbound AS4 message keep their ebMS answer exactly. The others never reach the AS4
 * edge (DNS/SML/SMP run only in the outbox, tokens only on the REST API, keystores at start-up, CRL and OCSP
 * errors become a revocation outage inside the checker); for them the kind now decides, and these differ
 * from what the old catch-alls would have said (any ProblemError EBMS:0004, any error of the sender's
 * certificate check EBMS:0101).
 */
const AS4_CHANGED_UNREACHABLE: Record<string, EbmsErrorCode> = {
  // transient: the sender should try again (EBMS:0202), not give the message up
  "dns-lookup-failed": "EBMS:0202",
  "peppol-smp-untrusted-certificate [revocation outage]": "EBMS:0202",
  "peppol-smp-http-failure [timeout]": "EBMS:0202",
  "peppol-smp-http-failure [network, retryable]": "EBMS:0202",
  "peppol-smp-http-failure [status 503]": "EBMS:0202",
  "token-keys-unavailable": "EBMS:0202",
  // a credential that cannot be trusted
  "token-missing": "EBMS:0101",
  "token-invalid": "EBMS:0101",
  "token-expired": "EBMS:0101",
  "token-not-yet-valid": "EBMS:0101",
  "token-signature-invalid": "EBMS:0101",
  "token-algorithm-not-allowed": "EBMS:0101",
  "token-key-unknown": "EBMS:0101",
  "token-issuer-invalid": "EBMS:0101",
  "token-audience-invalid": "EBMS:0101",
  // configuration input, and revocation sources' answers: no verdict on a sender's certificate
  ERR_PKI_PEM_FORMAT: "EBMS:0004",
  ERR_PKI_KEYSTORE_FORMAT: "EBMS:0004",
  ERR_PKI_KEYSTORE_PASSWORD: "EBMS:0004",
  ERR_PKI_KEYSTORE_NO_KEY: "EBMS:0004",
  ERR_PKI_KEYSTORE_NO_CERTIFICATE: "EBMS:0004",
  ERR_PKI_KEYSTORE_ALIAS: "EBMS:0004",
  ERR_PKI_KEYSTORE_KEY_MISMATCH: "EBMS:0004",
  ERR_PKI_CRL: "EBMS:0004",
  ERR_PKI_OCSP_RESPONSE: "EBMS:0004",
};

/** Codes an inbound AS4 message can meet: dpi-inbound's checks and the sender certificate's validation. */
const AS4_REACHABLE = [
  "sbd-invalid",
  "unknown-document-type",
  "standard-type-mismatch",
  "body-key-mismatch",
  "multiple-bodies",
  "conversation-id-missing",
  "process-mismatch",
  "forretningsmelding-malformed",
  "forretningsmelding-algorithm",
  "forretningsmelding-signature-invalid",
  "signer-certificate-invalid",
  "signer-certificate-revoked",
  "signer-certificate-key-usage",
  "signer-certificate-revocation-unavailable",
  "peppol-identifier-invalid",
  "sbdh-malformed",
  "sbdh-structure",
  "sbdh-value",
  "sbdh-scope",
  "sbdh-payload",
  "sbdh-too-large",
  "ERR_PKI_CERT_MALFORMED",
  "ERR_PKI_CERT_EXPIRED",
  "ERR_PKI_CERT_NOT_YET_VALID",
  "ERR_PKI_CERT_UNTRUSTED",
  "ERR_PKI_CHAIN_BROKEN",
  "ERR_PKI_NO_PEPPOL_SEAT_ID",
  "ERR_PKI_KEY_USAGE",
  "ERR_PKI_CERT_REVOKED",
  "ERR_PKI_REVOCATION_UNKNOWN",
  "ERR_PKI_REVOCATION_FETCH",
];

describe("AS4 edge: the ebMS table", () => {
  const actual = Object.fromEntries(samples.map(({ label, err }) => [label, ebmsCodeOf(err)]));

  it("maps every domain error to its ebMS code: as before, but for codes that never reach the AS4 edge", () => {
    expect(actual).to.deep.equal({ ...AS4_BEFORE, ...AS4_CHANGED_UNREACHABLE });
  });

  it("answers every code an inbound message can meet exactly as before", () => {
    for (const label of AS4_REACHABLE) {
      expect(AS4_CHANGED_UNREACHABLE, label).to.not.have.property(label);
      expect(actual[label], label).to.equal(AS4_BEFORE[label]);
    }
  });

  it("is EBMS:0202 exactly for the unavailable kind", () => {
    for (const { label, err } of samples) expect(actual[label] === "EBMS:0202", label).to.equal(err.kind === "unavailable");
  });
});

describe("outbox: retry from the kind", () => {
  it("retries exactly the lookup failures it retried before (they are the `unavailable` ones)", () => {
    const actual = Object.fromEntries(
      samples.filter(({ label }) => label in OUTBOX_LOOKUP_BEFORE).map(({ label, err }) => [label, err.kind === "unavailable" ? "retry" : "failed"]),
    );
    expect(actual).to.deep.equal(OUTBOX_LOOKUP_BEFORE);
  });

  it("network failures become unavailable NetworkErrors in one place; other errors are left alone", () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:9"), { code: "ECONNREFUSED" });
    const e = networkFailure(refused);
    expect(e).to.be.instanceOf(NetworkError);
    expect(e).to.include({ code: "network-failure", kind: "unavailable", networkCode: "ECONNREFUSED", message: "ECONNREFUSED connect ECONNREFUSED 127.0.0.1:9" });
    expect(e!.cause).to.equal(refused);
    for (const code of ["UND_ERR_HEADERS_TIMEOUT", "UND_ERR_SOCKET", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"]) {
      expect(networkFailure(Object.assign(new Error("x"), { code }))?.kind, code).to.equal("unavailable");
    }
    expect(networkFailure(new Error("boom"))).to.equal(undefined);
    expect(networkFailure(Object.assign(new Error("no such file"), { code: "ENOENT" }))).to.equal(undefined);
    expect(networkFailure(e)).to.equal(e);
  });
});

describe("layering", () => {
  const root = path.resolve(import.meta.dirname, "../../src");
  function files(dir: string): string[] {
    return readdirSync(dir).flatMap((name) => {
      const p = path.join(dir, name);
      return statSync(p).isDirectory() ? files(p) : p.endsWith(".ts") ? [p] : [];
    });
  }

  it("no file under src/dpi, src/peppol, src/pki or src/maskinporten imports src/problem.ts or src/api/", () => {
    const offenders: string[] = [];
    for (const dir of ["dpi", "peppol", "pki", "maskinporten"]) {
      for (const file of files(path.join(root, dir))) {
        const source = readFileSync(file, "utf8");
        for (const m of source.matchAll(/(?:from|import)\s*\(?\s*["']([^"']+)["']/g)) {
          const target = path.resolve(path.dirname(file), m[1]!);
          const rel = path.relative(root, target);
          if (rel === "problem.js" || rel === "problem.ts" || rel.startsWith(`api${path.sep}`)) offenders.push(`${path.relative(root, file)} -> ${m[1]}`);
        }
      }
    }
    expect(offenders).to.deep.equal([]);
  });
});
