import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { fixedClock } from "../../src/clock.js";
import { parseSbd } from "../../src/sbd/parse.js";
import type { StandardBusinessDocument } from "../../src/sbd/model.js";

/** Digdir's eFormidling test data (third-party, read in place; tests skip when it is absent). */
export const EFORMIDLING_VECTORS = path.resolve(import.meta.dirname, "../../../shared/vectors/eformidling");

export function vectorsPresent(): boolean {
  return existsSync(path.join(EFORMIDLING_VECTORS, "sbd"));
}

export function readVector(relative: string): string {
  return readFileSync(path.join(EFORMIDLING_VECTORS, relative), "utf8");
}

/** The cucumber runs' clock (vectors README): 2019-03-25T11:38:23Z, 12:38:23+01:00 in Oslo. */
export const IP_TEST_CLOCK = fixedClock("2019-03-25T11:38:23Z");
export const OWN_ORG = "910077473";

/** A UUID source that hands out the given ids in order and then fails. */
export function uuids(...ids: string[]): () => string {
  const queue = [...ids];
  return () => {
    const id = queue.shift();
    if (id === undefined) throw new Error("no more test UUIDs");
    return id;
  };
}

type Json = Record<string, unknown>;

/**
 * An arkivmelding SBD like spec/eformidling.md §1.4's example (independent of the vector files). `edit`
 * may change the JSON before it is parsed.
 */
export function arkivmeldingJson(edit?: (json: { standardBusinessDocumentHeader: Json & { [k: string]: any }; [k: string]: any }) => void): Json {
  const json = {
    standardBusinessDocumentHeader: {
      headerVersion: "1.0",
      sender: [{ identifier: { authority: "iso6523-actorid-upis", value: "0192:910077473" } }],
      receiver: [{ identifier: { authority: "iso6523-actorid-upis", value: "0192:910075918" } }],
      documentIdentification: {
        standard: "urn:no:difi:arkivmelding:xsd::arkivmelding",
        type: "arkivmelding",
        typeVersion: "2.0",
        instanceIdentifier: "ff88849c-e281-4809-8555-7cd54952b916",
        creationDateAndTime: "2019-03-25T11:35:00+01:00",
      },
      businessScope: {
        scope: [
          {
            type: "ConversationId",
            instanceIdentifier: "37efbd4c-413d-4e2c-bbc5-257ef4a65a56",
            identifier: "urn:no:difi:profile:arkivmelding:administrasjon:ver1.0",
            scopeInformation: [{ expectedResponseDateTime: "2019-05-10T00:31:52+01:00" }],
          },
        ],
      },
    },
    arkivmelding: { sikkerhetsnivaa: 3, hoveddokument: "arkivmelding.xml" },
  };
  edit?.(json);
  return json;
}

/** An SBD of another type: the arkivmelding example with its type, standard, process and business message replaced. */
export function sbdJsonOf(type: string, standard: string, process: string, businessMessage: Json, edit?: Parameters<typeof arkivmeldingJson>[0]): Json {
  return arkivmeldingJson((json) => {
    json.standardBusinessDocumentHeader.documentIdentification.type = type;
    json.standardBusinessDocumentHeader.documentIdentification.standard = standard;
    json.standardBusinessDocumentHeader.businessScope.scope[0].identifier = process;
    delete json.arkivmelding;
    json[type] = businessMessage;
    edit?.(json);
  });
}

export function parsed(json: Json): StandardBusinessDocument {
  return parseSbd(json, { clock: IP_TEST_CLOCK });
}

/** Runs `fn`, expects it to throw an error of `type`, and returns it. */
export function thrown<E extends Error>(type: abstract new (...args: never[]) => E, fn: () => unknown): E {
  try {
    fn();
  } catch (e) {
    expect(e, e instanceof Error ? e.stack : String(e)).to.be.instanceOf(type);
    return e as E;
  }
  return expect.fail(`expected ${type.name}, but nothing was thrown`);
}
