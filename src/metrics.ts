import { Counter, Gauge, Registry, collectDefaultMetrics } from "prom-client";

/**
 * What an operator graphs and alerts on, in Prometheus text format at GET /metrics: messages in and out by
 * outcome, and how much is waiting in the outbox. One instance per access point (no global registry), so
 * tests and several access points in one process do not share counters.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly accepted = new Counter({ name: "dpi_ap_messages_accepted_total", help: "Messages accepted on POST /messages/out", labelNames: ["document_type"], registers: [this.registry] });
  readonly rejected = new Counter({ name: "dpi_ap_requests_rejected_total", help: "REST requests answered with a problem, by problem code", labelNames: ["code"], registers: [this.registry] });
  readonly as4Sent = new Counter({ name: "dpi_ap_as4_send_attempts_total", help: "AS4 send attempts by outcome (delivered, duplicate, retry, failed)", labelNames: ["outcome"], registers: [this.registry] });
  readonly as4Received = new Counter({ name: "dpi_ap_as4_received_total", help: "AS4 messages received, by answer (receipt, duplicate, or the EBMS error code)", labelNames: ["answer"], registers: [this.registry] });

  constructor(gauges: { outboxDue?: () => Promise<number> } = {}) {
    collectDefaultMetrics({ register: this.registry, prefix: "dpi_ap_" });
    const outboxDue = gauges.outboxDue;
    if (outboxDue) {
      new Gauge({
        name: "dpi_ap_outbox_pending",
        help: "Messages waiting in the outbox to be sent or retried",
        registers: [this.registry],
        async collect() {
          this.set(await outboxDue());
        },
      });
    }
  }
}
