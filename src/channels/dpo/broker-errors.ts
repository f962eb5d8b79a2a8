import { DomainError } from "../../errors.js";

/** The broker (or Altinn's token exchange) refused the request for good: a 4xx with its reason. */
export class BrokerRefusedError extends DomainError {
  readonly code = "dpo-broker-refused";
  readonly kind = "invalid";
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The broker could not be reached or failed (5xx): worth trying again later. */
export class BrokerUnavailableError extends DomainError {
  readonly code = "dpo-broker-unavailable";
  readonly kind = "unavailable";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
