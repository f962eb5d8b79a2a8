import { expect } from "chai";
import { bearerFromAuthorizationHeader } from "../../src/maskinporten/bearer.js";
import { TokenInvalidError, TokenMissingError } from "../../src/maskinporten/errors.js";

describe("maskinporten/bearer", () => {
  const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzY29wZSI6ImEifQ.c2ln-_";

  it("returns the credential of a Bearer header, scheme case-insensitive", () => {
    expect(bearerFromAuthorizationHeader(`Bearer ${jwt}`)).to.equal(jwt);
    expect(bearerFromAuthorizationHeader(`bearer ${jwt}`)).to.equal(jwt);
    expect(bearerFromAuthorizationHeader([`BEARER  ${jwt}`])).to.equal(jwt);
  });

  it("reports an absent header or another scheme as token-missing (401)", () => {
    for (const header of [undefined, "", [], "Basic dXNlcjpwYXNz"]) {
      const error = catchError(() => bearerFromAuthorizationHeader(header));
      expect(error, JSON.stringify(header)).to.be.instanceOf(TokenMissingError);
      expect((error as TokenMissingError).kind).to.equal("unauthenticated");
      expect((error as TokenMissingError).code).to.equal("token-missing");
    }
  });

  it("reports a malformed bearer credential or repeated header as token-invalid", () => {
    for (const header of ["Bearer", "Bearer ", `Bearer ${jwt} extra`, "Bearer a,b", [`Bearer ${jwt}`, `Bearer ${jwt}`]]) {
      const error = catchError(() => bearerFromAuthorizationHeader(header));
      expect(error, JSON.stringify(header)).to.be.instanceOf(TokenInvalidError);
      expect((error as TokenInvalidError).code).to.equal("token-invalid");
    }
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected an error");
}
