import { expect } from "chai";
import { createHash } from "node:crypto";
import { contentDigestOf, contentDigestOfReceipt, judgeDuplicate, type KnownExchange } from "../../../src/channels/dpi/duplicate-detector.js";

const NOW = new Date("2026-03-01T12:00:00Z");
const later = (ms: number) => new Date(NOW.getTime() + ms);
const b64 = (text: string) => createHash("sha256").update(text).digest("base64");

describe("channels/dpi/duplicate-detector", () => {
  describe("contentDigestOf", () => {
    const payload = { uri: "cid:a@x", digestValue: b64("payload") };
    const messaging = { uri: "#msg-1", digestValue: b64("messaging, with a timestamp") };
    const body = { uri: "#body-1", digestValue: b64("empty body") };

    it("depends only on the attachment digests: not on Content-IDs, eb:Messaging or the Body", () => {
      const first = contentDigestOf([messaging, body, payload]);
      const resend = contentDigestOf([
        { uri: "#msg-2", digestValue: b64("messaging, a minute later") },
        { uri: "#body-2", digestValue: b64("empty body, other wsu:Id") },
        { uri: "cid:b@y", digestValue: payload.digestValue },
      ]);
      expect(resend).to.equal(first);
      expect(first).to.equal(createHash("sha256").update(createHash("sha256").update("payload").digest("hex")).digest("hex"));
    });

    it("differs when an attachment differs, and ignores the order of references and base64 line breaks", () => {
      const two = [payload, { uri: "cid:c@x", digestValue: b64("second") }];
      expect(contentDigestOf([messaging, { uri: "cid:a@x", digestValue: b64("other payload") }])).to.not.equal(contentDigestOf([messaging, payload]));
      expect(contentDigestOf([...two].reverse())).to.equal(contentDigestOf(two));
      const wrapped = { uri: "cid:a@x", digestValue: `${payload.digestValue.slice(0, 20)}\n${payload.digestValue.slice(20)}` };
      expect(contentDigestOf([wrapped])).to.equal(contentDigestOf([payload]));
    });
  });

  it("contentDigestOfReceipt: undefined for anything that is not a receipt with non-repudiation information", () => {
    expect(contentDigestOfReceipt(Buffer.from("not xml"))).to.equal(undefined);
    expect(contentDigestOfReceipt(Buffer.from("<a/>"))).to.equal(undefined);
  });

  describe("judgeDuplicate", () => {
    const answered: KnownExchange = { peer: "POP000001", contentDigest: "d1", receipt: Buffer.from("receipt"), claimedUntil: undefined };
    const claimed: KnownExchange = { peer: "POP000001", contentDigest: "d1", receipt: undefined, claimedUntil: later(1000) };
    const same = { peer: "POP000001", contentDigest: "d1" };

    it("same peer and content, answered: resend with the stored receipt", () => {
      expect(judgeDuplicate(answered, same, NOW)).to.deep.equal({ kind: "resend", receipt: Buffer.from("receipt") });
    });

    it("another peer: conflict other-peer, whatever the content and state", () => {
      for (const known of [answered, claimed]) {
        expect(judgeDuplicate(known, { peer: "POP000009", contentDigest: "d1" }, NOW)).to.deep.equal({ kind: "conflict", reason: "other-peer", knownPeer: "POP000001" });
      }
    });

    it("same peer, other content: conflict other-content, also while the first is being handled", () => {
      for (const known of [answered, claimed]) {
        expect(judgeDuplicate(known, { peer: "POP000001", contentDigest: "d2" }, NOW)).to.deep.equal({ kind: "conflict", reason: "other-content", knownPeer: "POP000001" });
      }
    });

    it("content that cannot be established: conflict unknown-content", () => {
      expect(judgeDuplicate({ ...answered, contentDigest: undefined }, same, NOW)).to.deep.equal({ kind: "conflict", reason: "unknown-content", knownPeer: "POP000001" });
    });

    it("same peer and content, unanswered: in progress until the claim runs out, then take-over", () => {
      expect(judgeDuplicate(claimed, same, NOW)).to.deep.equal({ kind: "in-progress" });
      expect(judgeDuplicate(claimed, same, later(999))).to.deep.equal({ kind: "in-progress" });
      expect(judgeDuplicate(claimed, same, later(1000))).to.deep.equal({ kind: "take-over" });
      expect(judgeDuplicate({ ...claimed, claimedUntil: undefined }, same, NOW)).to.deep.equal({ kind: "take-over" });
    });
  });
});
