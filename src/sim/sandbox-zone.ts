/** The SML zone of the local sandbox, answered by the DNS simulator. */
export const SANDBOX_ZONE = "sml.dpi-ap.test";
