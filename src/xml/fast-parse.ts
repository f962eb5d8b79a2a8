import { DOMImplementation } from "@xmldom/xmldom";
import { XmlForbiddenError, XmlMalformedError } from "./xml-errors.js";
import { addAttributeUnchecked, appendChildUnchecked, createAttributeUnchecked, createElementUnchecked } from "./xmldom-unchecked.js";

/**
 * A strict XML 1.0 + Namespaces parser that builds the same @xmldom/xmldom Document xmldom's DOMParser builds for
 * the documents {@link ./safe-parse.ts} accepts, so xpath, the canonicaliser and every DOM helper keep working.
 *
 * Why our own: xmldom's SAX layer compiles regular expressions per end tag, slices the rest of the input per
 * comment and re-validates every name, which made XML parsing a visible share of an access point's CPU per letter.
 * This scanner reads char codes once, refuses instead of recovering, and hands xmldom only finished nodes, linked
 * without the DOM methods' checks (./xmldom-unchecked.ts), which repeat what the scanner has already checked.
 *
 * Where xmldom is laxer than the XML and Namespaces specifications this parser refuses (the differential test
 * lists each): characters outside the XML Char production (literal or as character references), a `&` that
 * starts no reference, `]]>` in text, an end tag after the root, white space inside `/>`, control characters
 * and U+0080 taken for white space inside tags, U+037E and code points past U+EFFFF in names, undeclaring a
 * prefix (`xmlns:p=""`), rebinding `xml` or `xmlns` or binding their namespaces to another prefix, and two
 * attributes with the same namespace and local name (xmldom silently kept only the last).
 *
 * Like xmldom it turns CR LF, CR, NEL, LS and PS into LF before parsing, keeps whitespace-only text between
 * top-level nodes (but not after the last one), and drops empty CDATA sections.
 */

const XML_NS = "http://www.w3.org/XML/1998/namespace";
const XMLNS_NS = "http://www.w3.org/2000/xmlns/";

const LT = 0x3c;
const GT = 0x3e;
const AMP = 0x26;
const SLASH = 0x2f;
const QUESTION = 0x3f;
const BANG = 0x21;
const EQ = 0x3d;
const COLON = 0x3a;
const SEMI = 0x3b;
const HASH = 0x23;
const QUOT = 0x22;
const APOS = 0x27;
const RBRACKET = 0x5d;
const SPACE = 0x20;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;

// ASCII name characters: bit 1 = may start an NCName, bit 2 = may continue one.
const ASCII_NAME = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const letter = (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;
  const other = (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2e;
  ASCII_NAME[c] = (letter ? 3 : 0) | (other ? 2 : 0);
}

/** NameStartChar of XML 1.0 fifth edition for a BMP code unit at or above 0x80 (surrogates handled by the caller). */
function isNonAsciiNameStart(c: number): boolean {
  return (
    (c >= 0xc0 && c <= 0xd6) ||
    (c >= 0xd8 && c <= 0xf6) ||
    (c >= 0xf8 && c <= 0x2ff) ||
    (c >= 0x370 && c <= 0x37d) ||
    (c >= 0x37f && c <= 0x1fff) ||
    c === 0x200c ||
    c === 0x200d ||
    (c >= 0x2070 && c <= 0x218f) ||
    (c >= 0x2c00 && c <= 0x2fef) ||
    (c >= 0x3001 && c <= 0xd7ff) ||
    (c >= 0xf900 && c <= 0xfdcf) ||
    (c >= 0xfdf0 && c <= 0xfffd)
  );
}

function isNonAsciiNameChar(c: number): boolean {
  return isNonAsciiNameStart(c) || c === 0xb7 || (c >= 0x300 && c <= 0x36f) || c === 0x203f || c === 0x2040;
}

function isXmlChar(cp: number): boolean {
  return cp >= 0x20
    ? cp <= 0xd7ff || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff)
    : cp === TAB || cp === LF || cp === CR;
}

// Code units below 0x3f that text may hold as they are: not markup (`<`, `&`, `>`), not a control character.
const PLAIN_TEXT = new Uint8Array(0x3f);
for (let c = SPACE; c < 0x3f; c++) PLAIN_TEXT[c] = c === LT || c === AMP || c === GT ? 0 : 1;
PLAIN_TEXT[TAB] = PLAIN_TEXT[LF] = PLAIN_TEXT[CR] = 1;

// The same code units as PLAIN_TEXT and the BMP below the surrogates, as a sticky regular expression: the engine
// skips a long run (a certificate's or a signature's base64) several times faster than a loop over char codes.
const PLAIN_TEXT_RUN = /[^<&>\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\uffff]*/y;

// What an attribute value in each kind of quotes takes as it is, likewise: U+0020 up to the surrogates, less `<`, `&`
// and the quote.
const PLAIN_IN_QUOT = /[^<&"\x00-\x1f\ud800-\uffff]*/y;
const PLAIN_IN_APOS = /[^<&'\x00-\x1f\ud800-\uffff]*/y;

/** The end of the run of plain text (see PLAIN_TEXT) starting at `p`. */
function plainTextEnd(src: string, p: number): number {
  PLAIN_TEXT_RUN.lastIndex = p;
  PLAIN_TEXT_RUN.test(src);
  return PLAIN_TEXT_RUN.lastIndex;
}

const PREDEFINED_ENTITIES: Readonly<Record<string, string>> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

function normalizeLineEnds(text: string): string {
  // XML 1.0 §2.11: CR LF and a lone CR become LF. NEL, U+2028 and U+2029 are XML 1.1's line ends, not 1.0's:
  // they stay as they are, as a signer's canonicaliser keeps them (xmldom turned them into LF, breaking the
  // digest of any signed text that held one).
  return text.indexOf("\r") < 0 ? text : text.replace(/\r\n?/g, "\n");
}

interface OpenElement {
  readonly node: Element;
  readonly qName: string;
  /** Length of the declaration log before this element's declarations. */
  readonly bindingMark: number;
}

/**
 * Parse `text` (already decoded, without a byte order mark) into an xmldom Document, or throw
 * {@link XmlMalformedError} / {@link XmlForbiddenError}. A DOCTYPE is not recognised at all (it is malformed
 * here); callers refuse it lexically first so that it is reported as forbidden.
 */
export function fastParseXml(text: string): Document {
  return new Parser(normalizeLineEnds(text)).parse();
}

class Parser {
  private readonly src: string;
  private readonly len: number;
  private pos = 0;
  private readonly doc: Document;
  private readonly open: OpenElement[] = [];
  // Namespace bindings in scope: per prefix ("" = the default namespace, "" as URI = none) its URIs, innermost
  // last, and the prefixes in order of declaration, to pop at each end tag. Lookups cost the same at any depth.
  private readonly bindings = new Map<string, string[]>();
  private readonly declared: string[] = [];
  private rootSeen = false;
  private forbiddenPi: string | null = null;
  private declaredEncoding: string | null = null;

  constructor(src: string) {
    this.src = src;
    this.len = src.length;
    this.doc = new DOMImplementation().createDocument(null, "") as unknown as Document;
  }

  parse(): Document {
    const src = this.src;
    const len = this.len;
    while (this.pos < len) {
      const c = src.charCodeAt(this.pos);
      if (c !== LT) {
        this.text();
        continue;
      }
      const next = src.charCodeAt(this.pos + 1);
      if (next === SLASH) this.endTag();
      else if (next === BANG) this.bang();
      else if (next === QUESTION) this.processingInstruction();
      else this.startTag();
    }
    if (this.open.length > 0) this.fail(`unclosed element <${this.open[this.open.length - 1]!.qName}>`);
    if (!this.rootSeen) this.fail("no root element");
    // As xmldom's tree walk did: any other processing instruction outranks a bad declared encoding.
    if (this.forbiddenPi !== null) {
      throw new XmlForbiddenError("processing-instruction", `XML must not contain processing instructions (<?${this.forbiddenPi} ...?>)`);
    }
    if (this.declaredEncoding !== null && !/^utf-?8$/i.test(this.declaredEncoding)) {
      throw new XmlMalformedError(`XML declares encoding ${this.declaredEncoding}; only UTF-8 is accepted`);
    }
    return this.doc;
  }

  private fail(message: string): never {
    throw new XmlMalformedError(`XML is not well-formed: ${message} (at offset ${this.pos})`);
  }

  // ---- character data -------------------------------------------------------------------------------------------

  private text(): void {
    const src = this.src;
    const len = this.len;
    const start = this.pos;
    let p = plainTextEnd(src, start);
    let out: string | null = null; // set once a reference needs decoding
    let chunk = start;
    while (p < len) {
      const c = src.charCodeAt(p);
      if (c >= 0x3f ? c < 0xd800 : PLAIN_TEXT[c] === 1) {
        p++;
        continue;
      }
      if (c === LT) break;
      if (c === AMP) {
        out = (out ?? "") + src.slice(chunk, p) + this.reference(p);
        p = this.pos;
        chunk = p;
        continue;
      }
      if (c === GT) {
        if (p - start >= 2 && src.charCodeAt(p - 1) === RBRACKET && src.charCodeAt(p - 2) === RBRACKET) {
          this.pos = p;
          this.fail("']]>' in text");
        }
        p++;
        continue;
      }
      p = this.otherChar(c, p);
    }
    const data = out === null ? src.slice(start, p) : out + src.slice(chunk, p);
    this.pos = p;
    const parent = this.open.length > 0 ? this.open[this.open.length - 1]!.node : null;
    if (parent === null) {
      for (let i = start; i < p; i++) {
        const c = src.charCodeAt(i);
        if (c !== SPACE && c !== LF && c !== TAB && c !== CR) {
          this.pos = i;
          this.fail("content outside the root element");
        }
      }
      // xmldom keeps whitespace between top-level nodes but drops the run after the last one.
      if (p < len) appendChildUnchecked(this.doc, this.doc.createTextNode(data));
      return;
    }
    const last = parent.lastChild;
    // An empty CDATA section in between leaves two text runs side by side; xmldom's normalize() joins them.
    if (last !== null && last.nodeType === 3) (last as Text).appendData(data);
    else appendChildUnchecked(parent, this.doc.createTextNode(data));
  }

  /** Checks a code unit that is neither plain BMP text nor markup; returns the position after it. */
  private otherChar(c: number, p: number): number {
    if (c < SPACE) {
      if (c === TAB || c === LF || c === CR) return p + 1;
      this.pos = p;
      this.fail(`character U+${c.toString(16).padStart(4, "0")} is not allowed in XML`);
    }
    if (c >= 0xd800 && c <= 0xdbff) {
      const low = this.src.charCodeAt(p + 1);
      if (low >= 0xdc00 && low <= 0xdfff) return p + 2;
    } else if (c < 0xd800 || (c >= 0xe000 && c <= 0xfffd)) {
      return p + 1;
    }
    this.pos = p;
    return this.fail(`character U+${c.toString(16)} is not allowed in XML`);
  }

  /** Decodes the reference at `p` (an `&`); leaves the position after its `;`. */
  private reference(p: number): string {
    const src = this.src;
    this.pos = p;
    let q = p + 1;
    if (src.charCodeAt(q) === HASH) {
      q++;
      let cp = 0;
      let digits = 0;
      if (src.charCodeAt(q) === 0x78 /* x */) {
        q++;
        for (;;) {
          const d = src.charCodeAt(q);
          const v = d >= 0x30 && d <= 0x39 ? d - 0x30 : d >= 0x61 && d <= 0x66 ? d - 0x57 : d >= 0x41 && d <= 0x46 ? d - 0x37 : -1;
          if (v < 0) break;
          cp = cp * 16 + v;
          if (cp > 0x10ffff) cp = 0x110000;
          digits++;
          q++;
        }
      } else {
        for (;;) {
          const d = src.charCodeAt(q);
          if (!(d >= 0x30 && d <= 0x39)) break;
          cp = cp * 10 + (d - 0x30);
          if (cp > 0x10ffff) cp = 0x110000;
          digits++;
          q++;
        }
      }
      if (digits === 0 || src.charCodeAt(q) !== SEMI) this.fail("malformed character reference");
      if (!isXmlChar(cp)) this.fail(`character reference to U+${cp.toString(16)}, not an XML character`);
      this.pos = q + 1;
      return String.fromCodePoint(cp);
    }
    const end = src.indexOf(";", q);
    const name = end > q && end - q <= 4 ? src.slice(q, end) : "";
    const value = PREDEFINED_ENTITIES[name];
    if (value === undefined || !Object.hasOwn(PREDEFINED_ENTITIES, name)) {
      this.fail("'&' must start one of the five predefined entities or a character reference");
    }
    this.pos = end + 1;
    return value!;
  }

  // ---- names ------------------------------------------------------------------------------------------------------

  /**
   * The end of the name starting at `p` (an NCName, or with `colons` an XML Name), or `p` when none starts there.
   */
  private nameEnd(p: number, colons: boolean): number {
    const src = this.src;
    let c = src.charCodeAt(p);
    if (c < 128) {
      if ((ASCII_NAME[c]! & 1) === 0 && !(colons && c === COLON)) return p;
      p++;
    } else if (isNonAsciiNameStart(c)) {
      p++;
    } else if (c >= 0xd800 && c <= 0xdb7f && this.isLowSurrogate(p + 1)) {
      p += 2;
    } else {
      return p;
    }
    for (;;) {
      c = src.charCodeAt(p);
      if (c < 128) {
        if ((ASCII_NAME[c]! & 2) === 0 && !(colons && c === COLON)) return p;
        p++;
      } else if (isNonAsciiNameChar(c)) {
        p++;
      } else if (c >= 0xd800 && c <= 0xdb7f && this.isLowSurrogate(p + 1)) {
        p += 2;
      } else {
        return p;
      }
    }
  }

  private isLowSurrogate(p: number): boolean {
    const c = this.src.charCodeAt(p);
    return c >= 0xdc00 && c <= 0xdfff;
  }

  /**
   * Scans a QName at the current position; returns it and the index of its colon (-1 when unprefixed). What may
   * follow it (white space, `=`, `>`) is for the caller to check, which also refuses a second colon.
   */
  private qName(what: string): [string, number] {
    const start = this.pos;
    let p = this.nameEnd(start, false);
    if (p === start) this.fail(`${what} name expected`);
    let colon = -1;
    if (this.src.charCodeAt(p) === COLON) {
      colon = p - start;
      const localStart = p + 1;
      p = this.nameEnd(localStart, false);
      if (p === localStart) this.fail(`${what} name has an empty local part`);
    }
    this.pos = p;
    return [this.src.slice(start, p), colon];
  }

  // An element may carry many attributes; past a few, a set keeps the duplicate check linear.
  private attrSet: Set<string> | null = null;
  private attrSetFor: string[] | null = null;

  private seenBefore(names: readonly string[], name: string): boolean {
    if (this.attrSetFor !== names) {
      this.attrSet = new Set(names);
      this.attrSetFor = names as string[];
    }
    const set = this.attrSet!;
    if (set.has(name)) return true;
    set.add(name);
    return false;
  }

  private skipSpace(): boolean {
    const src = this.src;
    const start = this.pos;
    let p = start;
    for (;;) {
      const c = src.charCodeAt(p);
      if (c === SPACE || c === LF || c === TAB || c === CR) p++;
      else break;
    }
    this.pos = p;
    return p > start;
  }

  // ---- elements ---------------------------------------------------------------------------------------------------

  private startTag(): void {
    const src = this.src;
    const doc = this.doc;
    if (this.open.length === 0 && this.rootSeen) this.fail("a second root element");
    this.pos++;
    const [qName, colon] = this.qName("element");

    // Attributes first, as raw qualified names and decoded values; namespaces are resolved once all are read.
    let attrNames: string[] | null = null;
    let attrColons: number[] | null = null;
    let attrValues: string[] | null = null;
    let selfClosing = false;
    for (;;) {
      const spaced = this.skipSpace();
      const c = src.charCodeAt(this.pos);
      if (c === GT) {
        this.pos++;
        break;
      }
      if (c === SLASH) {
        if (src.charCodeAt(this.pos + 1) !== GT) this.fail("'/' in a start tag must be followed by '>'");
        this.pos += 2;
        selfClosing = true;
        break;
      }
      if (Number.isNaN(c)) this.fail(`unterminated start tag <${qName}`);
      if (!spaced) this.fail(`unexpected character U+${c.toString(16).padStart(4, "0")} in the start tag <${qName}`);
      const [name, nameColon] = this.qName("attribute");
      if (attrNames === null) {
        attrNames = [];
        attrColons = [];
        attrValues = [];
      } else if (attrNames.length < 8 ? attrNames.includes(name) : this.seenBefore(attrNames, name)) {
        this.fail(`attribute ${name} appears twice`);
      }
      this.skipSpace();
      if (src.charCodeAt(this.pos) !== EQ) this.fail(`attribute ${name} has no '='`);
      this.pos++;
      this.skipSpace();
      attrNames.push(name);
      attrColons!.push(nameColon);
      attrValues!.push(this.attributeValue());
    }

    // Namespace declarations of this element.
    const bindingMark = this.declared.length;
    if (attrNames !== null) {
      for (let i = 0; i < attrNames.length; i++) {
        const name = attrNames[i]!;
        const nameColon = attrColons![i]!;
        if (nameColon < 0 ? name === "xmlns" : nameColon === 5 && name.startsWith("xmlns")) {
          this.declare(nameColon < 0 ? "" : name.slice(6), attrValues![i]!);
        }
      }
    }

    const prefix = colon < 0 ? null : qName.slice(0, colon);
    const localName = colon < 0 ? qName : qName.slice(colon + 1);
    let namespace: string | null;
    if (prefix === null) {
      namespace = this.lookup("") || null;
    } else {
      if (prefix === "xmlns") this.fail("an element must not have the prefix xmlns");
      namespace = this.lookup(prefix);
      if (namespace === null) this.fail(`element prefix ${prefix} is not declared`);
    }
    const el = createElementUnchecked(doc, namespace, qName, prefix, localName);

    if (attrNames !== null) {
      let expandedNames: Set<string> | null = null;
      for (let i = 0; i < attrNames.length; i++) {
        const name = attrNames[i]!;
        const nameColon = attrColons![i]!;
        let attrNs: string | null = null;
        let attrPrefix: string | null = null;
        let attrLocal = name;
        if (nameColon >= 0) {
          attrPrefix = name.slice(0, nameColon);
          attrLocal = name.slice(nameColon + 1);
          if (attrPrefix === "xmlns") {
            attrNs = XMLNS_NS;
          } else {
            attrNs = this.lookup(attrPrefix);
            if (attrNs === null) this.fail(`attribute prefix ${attrPrefix} is not declared`);
            // Two prefixes bound to one namespace may not name the same attribute (Namespaces §6.3).
            expandedNames ??= new Set();
            const expanded = `${attrLocal} ${attrNs}`;
            if (expandedNames.has(expanded)) this.fail(`attribute ${name} repeats the namespace and local name of another`);
            expandedNames.add(expanded);
          }
        } else if (name === "xmlns") {
          attrNs = XMLNS_NS;
        }
        addAttributeUnchecked(el, createAttributeUnchecked(doc, attrNs, name, attrPrefix, attrLocal, attrValues![i]!));
      }
    }

    if (this.open.length > 0) appendChildUnchecked(this.open[this.open.length - 1]!.node, el);
    else {
      appendChildUnchecked(doc, el);
      this.rootSeen = true;
    }
    if (selfClosing) this.unbind(bindingMark);
    else this.open.push({ node: el, qName, bindingMark });
  }

  private attributeValue(): string {
    const src = this.src;
    const quote = src.charCodeAt(this.pos);
    if (quote !== QUOT && quote !== APOS) this.fail("attribute value must be quoted");
    const start = this.pos + 1;
    const run = quote === QUOT ? PLAIN_IN_QUOT : PLAIN_IN_APOS;
    run.lastIndex = start;
    run.test(src);
    let p = run.lastIndex;
    let out: string | null = null;
    let chunk = start;
    for (;;) {
      const c = src.charCodeAt(p);
      if (c === quote) break;
      if (c > SPACE && c < 0xd800 && c !== LT && c !== AMP) {
        p++;
        continue;
      }
      if (c === SPACE) {
        p++;
      } else if (c === AMP) {
        out = (out ?? "") + src.slice(chunk, p) + this.reference(p);
        p = this.pos;
        chunk = p;
      } else if (c === LT) {
        this.pos = p;
        this.fail("'<' in an attribute value");
      } else if (c === TAB || c === LF || c === CR) {
        // Attribute-value normalisation: a literal white space character becomes a space.
        out = (out ?? "") + src.slice(chunk, p) + " ";
        p++;
        chunk = p;
      } else if (Number.isNaN(c)) {
        this.pos = p;
        this.fail("unterminated attribute value");
      } else {
        p = this.otherChar(c, p);
      }
    }
    this.pos = p + 1;
    return out === null ? src.slice(start, p) : out + src.slice(chunk, p);
  }

  private declare(prefix: string, uri: string): void {
    if (prefix === "xml") {
      if (uri !== XML_NS) this.fail("the prefix xml must not be bound to another namespace");
      return;
    }
    if (prefix === "xmlns") this.fail("the prefix xmlns must not be declared");
    if (uri === XML_NS || uri === XMLNS_NS) this.fail(`namespace ${uri} must not be bound to ${prefix || "the default namespace"}`);
    if (prefix !== "" && uri === "") this.fail(`prefix ${prefix} must not be undeclared (Namespaces in XML 1.0)`);
    const uris = this.bindings.get(prefix);
    if (uris === undefined) this.bindings.set(prefix, [uri]);
    else uris.push(uri);
    this.declared.push(prefix);
  }

  /** The namespace bound to `prefix` ("" = default, answered "" when none), or null when it is not bound. */
  private lookup(prefix: string): string | null {
    const uris = this.bindings.get(prefix);
    if (uris !== undefined && uris.length > 0) return uris[uris.length - 1]!;
    if (prefix === "") return "";
    return prefix === "xml" ? XML_NS : null;
  }

  private unbind(mark: number): void {
    const declared = this.declared;
    while (declared.length > mark) this.bindings.get(declared.pop()!)!.pop();
  }

  private endTag(): void {
    const src = this.src;
    const top = this.open.pop();
    if (top === undefined) this.fail("end tag without a start tag");
    const qName = top.qName;
    const after = this.pos + 2 + qName.length;
    if (!src.startsWith(qName, this.pos + 2)) this.fail(`end tag does not match <${qName}>`);
    this.pos = after;
    const c = src.charCodeAt(after);
    if (c !== GT && c !== SPACE && c !== LF && c !== TAB && c !== CR) this.fail(`end tag does not match <${qName}>`);
    this.skipSpace();
    if (src.charCodeAt(this.pos) !== GT) this.fail("end tag must end with '>'");
    this.pos++;
    this.unbind(top.bindingMark);
  }

  // ---- comments, CDATA, processing instructions ------------------------------------------------------------------

  private bang(): void {
    const src = this.src;
    const p = this.pos;
    if (src.startsWith("<!--", p)) {
      const start = p + 4;
      const end = src.indexOf("--", start);
      if (end < 0) this.fail("unterminated comment");
      if (src.charCodeAt(end + 2) !== GT) {
        this.pos = end;
        this.fail("'--' inside a comment");
      }
      this.checkChars(start, end);
      this.pos = end + 3;
      this.appendNode(this.doc.createComment(src.slice(start, end)));
      return;
    }
    if (src.startsWith("<![CDATA[", p)) {
      if (this.open.length === 0) this.fail("CDATA section outside the root element");
      const start = p + 9;
      const end = src.indexOf("]]>", start);
      if (end < 0) this.fail("unterminated CDATA section");
      this.checkChars(start, end);
      this.pos = end + 3;
      if (end > start) this.appendNode(this.doc.createCDATASection(src.slice(start, end)));
      return;
    }
    this.fail("'<!' starts neither a comment nor a CDATA section");
  }

  private checkChars(start: number, end: number): void {
    const src = this.src;
    for (let p = start; p < end; ) {
      const c = src.charCodeAt(p);
      if (c >= SPACE && c < 0xd800) p++;
      else p = this.otherChar(c, p);
    }
  }

  private processingInstruction(): void {
    const src = this.src;
    const start = this.pos;
    this.pos += 2;
    const targetEnd = this.nameEnd(this.pos, true);
    if (targetEnd === this.pos) this.fail("processing instruction without a target");
    const target = src.slice(this.pos, targetEnd);
    this.pos = targetEnd;
    let dataStart = targetEnd;
    if (this.skipSpace()) dataStart = this.pos;
    else if (!src.startsWith("?>", targetEnd)) this.fail("processing instruction target must be followed by white space");
    const end = src.indexOf("?>", dataStart);
    if (end < 0) this.fail("unterminated processing instruction");
    this.checkChars(dataStart, end);
    this.pos = end + 2;
    if (target.toLowerCase() !== "xml") {
      // Refused once the whole document is known to be well-formed, as before.
      this.forbiddenPi ??= target;
      return;
    }
    if (start !== 0) {
      this.pos = start;
      this.fail("an XML declaration is allowed only at the very start");
    }
    const data = src.slice(dataStart, end);
    const encoding = parseXmlDeclaration(target, data, dataStart > targetEnd);
    if (encoding === undefined) {
      this.pos = start;
      this.fail("malformed XML declaration");
    }
    this.declaredEncoding = encoding;
    appendChildUnchecked(this.doc, this.doc.createProcessingInstruction("xml", data));
  }

  private appendNode(node: Node): void {
    appendChildUnchecked(this.open.length > 0 ? this.open[this.open.length - 1]!.node : this.doc, node);
  }
}

/**
 * Checks an XML declaration's pseudo-attributes (version, then optional encoding and standalone, in that order);
 * returns the declared encoding, null when none is declared, or undefined when the declaration is malformed.
 */
function parseXmlDeclaration(target: string, data: string, spaced: boolean): string | null | undefined {
  if (target !== "xml" || !spaced) return undefined;
  const m = /^version[\x20\x09\x0a\x0d]*=[\x20\x09\x0a\x0d]*(?:"1\.[0-9]+"|'1\.[0-9]+')(?:[\x20\x09\x0a\x0d]+encoding[\x20\x09\x0a\x0d]*=[\x20\x09\x0a\x0d]*(?:"([A-Za-z][-A-Za-z0-9._]*)"|'([A-Za-z][-A-Za-z0-9._]*)'))?(?:[\x20\x09\x0a\x0d]+standalone[\x20\x09\x0a\x0d]*=[\x20\x09\x0a\x0d]*(?:"(?:yes|no)"|'(?:yes|no)'))?[\x20\x09\x0a\x0d]*$/.exec(data);
  if (m === null) return undefined;
  return m[1] ?? m[2] ?? null;
}
