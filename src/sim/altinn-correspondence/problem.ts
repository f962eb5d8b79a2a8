/**
 * Altinn's error answers: RFC 9457 ProblemDetails (altinn-correspondence-v1.json `ProblemDetails`), with the
 * correspondence service's numbered error in `errorCode` and its text as `title` (the numbers and texts of the
 * API description, e.g. "1034: A correspondence with the same idempotent key already exists"); ASP.NET's model
 * binding refusals as a ValidationProblemDetails with `errors` per field.
 */
export class AltinnProblem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly errorCode?: number,
    readonly errors?: Record<string, string[]>,
  ) {
    super(title);
  }

  body(): Record<string, unknown> {
    return {
      type: TYPES[this.status] ?? "about:blank",
      title: this.title,
      status: this.status,
      ...(this.errorCode !== undefined ? { detail: `${this.errorCode}: ${this.title}`, errorCode: this.errorCode } : {}),
      ...(this.errors ? { errors: this.errors } : {}),
    };
  }
}

const TYPES: Record<number, string> = {
  400: "https://tools.ietf.org/html/rfc9110#section-15.5.1",
  401: "https://tools.ietf.org/html/rfc9110#section-15.5.2",
  403: "https://tools.ietf.org/html/rfc9110#section-15.5.4",
  404: "https://tools.ietf.org/html/rfc9110#section-15.5.5",
  409: "https://tools.ietf.org/html/rfc9110#section-15.5.10",
  413: "https://tools.ietf.org/html/rfc9110#section-15.5.14",
  422: "https://tools.ietf.org/html/rfc4918#section-11.2",
  503: "https://tools.ietf.org/html/rfc9110#section-15.6.4",
};

/** A numbered error of the correspondence API. */
export const problem = (status: number, errorCode: number, title: string) => new AltinnProblem(status, title, errorCode);

/** One or more fields the model binder or its validation attributes refused. */
export const invalidFields = (errors: Record<string, string[]>) => new AltinnProblem(400, "One or more validation errors occurred.", undefined, errors);
