/**
 * RFC 7807 problem details. Every failure that reaches a REST client is one of these: a ProblemError born at
 * the HTTP edge itself (multipart framing, query parameters, routes), or a domain error (src/errors.ts)
 * given its status and title by the REST edge's one table, src/api/problem-map.ts. Domain code never
 * imports this module. `instance` is the request path; the extension member `requestId` is the request's
 * X-Request-Id, the value to quote to an operator, who finds it on every log line written while serving the
 * request.
 */
export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  code: string;
  requestId?: string;
}

export const PROBLEM_TYPE_BASE = "urn:dpi-ap:problem:";

export class ProblemError extends Error {
  /** Response headers that belong to the failure itself, e.g. Retry-After on a 503 the client should retry. */
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    detail?: string,
    options?: { cause?: unknown; headers?: Readonly<Record<string, string>> },
  ) {
    super(detail ?? title, options);
    this.name = "ProblemError";
    this.headers = options?.headers ?? {};
  }

  toProblem(instance?: string, requestId?: string): ProblemDocument {
    return {
      type: PROBLEM_TYPE_BASE + this.code,
      title: this.title,
      status: this.status,
      detail: this.message,
      ...(instance ? { instance } : {}),
      code: this.code,
      ...(requestId ? { requestId } : {}),
    };
  }
}
