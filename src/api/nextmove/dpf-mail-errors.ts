import { DomainError } from "../../errors.js";

/** No DPF mail has this download link (never made, or replaced by a later attempt's link). */
export class DpfMailLinkNotFoundError extends DomainError {
  readonly code = "dpf-mail-link-not-found";
  readonly kind = "not-found";
}

/** The mail's download link worked until its time ran out (DPI_AP_DPF_MAIL_LINK_HOURS). */
export class DpfMailLinkExpiredError extends DomainError {
  readonly code = "dpf-mail-link-expired";
  readonly kind = "not-found";
}
