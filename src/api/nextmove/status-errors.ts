import { DomainError } from "../../errors.js";

/**
 * What the NextMove API's status side (/api/statuses, /api/conversations, /api/subscriptions) refuses. The
 * integrasjonspunkt answers the same cases with 400 (a parameter it cannot convert, a subscription that fails
 * validation or exists already) and 404 (an unknown id); problem-map.ts keeps those statuses.
 */

/** A query or path parameter that is malformed, given twice, or names something there is no such thing as. */
export class NextMoveQueryInvalidError extends DomainError {
  readonly code = "nextmove-query-invalid";
  readonly kind = "invalid";
}

/** No conversation with that id or message id that the caller may see (ConversationNotFoundException, MessageNotFoundException). */
export class ConversationNotFoundError extends DomainError {
  readonly code = "conversation-not-found";
  readonly kind = "not-found";
  constructor(what: string) {
    super(`no conversation with ${what} for this caller`);
  }
}

/** DELETE /api/statuses/{id} for a status that is not on the status queue (the integrasjonspunkt answers 404). */
export class StatusNotQueuedError extends DomainError {
  readonly code = "status-not-queued";
  readonly kind = "not-found";
  constructor(id: number) {
    super(`status ${id} is not on the status queue for this caller`);
  }
}

export class SubscriptionNotFoundError extends DomainError {
  readonly code = "subscription-not-found";
  readonly kind = "not-found";
  constructor(id: number) {
    super(`no subscription ${id} for this caller`);
  }
}

/** A subscription body that fails the integrasjonspunkt's validation of Subscription. */
export class SubscriptionInvalidError extends DomainError {
  readonly code = "subscription-invalid";
  readonly kind = "invalid";
}

/** The caller has a subscription with this name and push endpoint already (SubscriptionWithSameNameAndPushEndpointAlreadyExists). */
export class SubscriptionExistsError extends DomainError {
  readonly code = "subscription-exists";
  readonly kind = "conflict";
  constructor(readonly existingId: number) {
    super(`subscription ${existingId} has the same name and push endpoint`);
  }
}
