#!/usr/bin/python3
"""Independent verifier of an AS4 WS-Security signature (libxml2 C14N via lxml, python-cryptography RSA).

Usage: verify_as4.py SIGNED.xml [CONTENT-ID=ATTACHMENT-FILE ...]
       verify_as4.py --sign KEY.pem CERT.pem UNSIGNED.xml [CONTENT-ID=ATTACHMENT-FILE ...]   (prints signed XML)

Verify: follows KeyInfo/SecurityTokenReference to the BinarySecurityToken, canonicalises SignedInfo and each
same-document reference with exclusive C14N and its InclusiveNamespaces PrefixList, hashes cid: attachments
(Attachment-Content-Signature-Transform = the raw bytes), and checks the RSA signature. Prints
"python OK refs=N" and exits 0, or prints the failure and exits 1. Shares no code with the TypeScript side.

Sign: the reverse direction, so the TypeScript verifier can be tested on a signature it did not make.
"""
import base64
import hashlib
import sys
import uuid

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from lxml import etree

NS = {
    "S12": "http://www.w3.org/2003/05/soap-envelope",
    "eb": "http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/",
    "wsse": "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd",
    "wsu": "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd",
    "ds": "http://www.w3.org/2000/09/xmldsig#",
    "ec": "http://www.w3.org/2001/10/xml-exc-c14n#",
}
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
SWA_CONTENT = "http://docs.oasis-open.org/wss/oasis-wss-SwAProfile-1.1#Attachment-Content-Signature-Transform"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
X509V3 = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3"
B64BIN = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary"


class Failure(Exception):
    pass


def parse(path):
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=False)
    with open(path, "rb") as f:
        return etree.fromstring(f.read(), parser)


def one(node, expr):
    found = node.xpath(expr, namespaces=NS)
    if len(found) != 1:
        raise Failure(f"{expr}: expected 1, found {len(found)}")
    return found[0]


def prefix_list(parent):
    inc = parent.xpath("ec:InclusiveNamespaces/@PrefixList", namespaces=NS)
    return inc[0].split() if inc else []


def exc_c14n(el, prefixes):
    return etree.tostring(el, method="c14n", exclusive=True, with_comments=False,
                          inclusive_ns_prefixes=prefixes or None)


def attachments_from(args):
    out = {}
    for a in args:
        cid, _, path = a.partition("=")
        with open(path, "rb") as f:
            out[cid] = f.read()
    return out


def verify(path, attachments):
    root = parse(path)
    sig = one(root, "/S12:Envelope/S12:Header/wsse:Security/ds:Signature")
    if len(root.xpath("//ds:Signature", namespaces=NS)) != 1:
        raise Failure("more than one ds:Signature")
    si = one(sig, "ds:SignedInfo")
    c14n_method = one(si, "ds:CanonicalizationMethod")
    if c14n_method.get("Algorithm") != EXC_C14N:
        raise Failure("SignedInfo is not canonicalised with exc-c14n")
    if one(si, "ds:SignatureMethod").get("Algorithm") != RSA_SHA256:
        raise Failure("signature method is not rsa-sha256")

    uri = one(sig, "ds:KeyInfo/wsse:SecurityTokenReference/wsse:Reference").get("URI")
    if not uri or not uri.startswith("#"):
        raise Failure("KeyInfo is not a direct reference")
    bst = one(root, f"/S12:Envelope/S12:Header/wsse:Security/wsse:BinarySecurityToken[@wsu:Id='{uri[1:]}']")
    if bst.get("ValueType") != X509V3 or bst.get("EncodingType", B64BIN) != B64BIN:
        raise Failure("BinarySecurityToken is not a base64 X509v3 token")
    cert = x509.load_der_x509_certificate(base64.b64decode("".join(bst.text.split())))

    refs = si.xpath("ds:Reference", namespaces=NS)
    for ref in refs:
        ref_uri = ref.get("URI")
        if one(ref, "ds:DigestMethod").get("Algorithm") != SHA256:
            raise Failure(f"{ref_uri}: digest is not sha256")
        transforms = ref.xpath("ds:Transforms/ds:Transform", namespaces=NS)
        expected = base64.b64decode("".join(one(ref, "ds:DigestValue").text.split()))
        if ref_uri.startswith("#"):
            if [t.get("Algorithm") for t in transforms] != [EXC_C14N]:
                raise Failure(f"{ref_uri}: transforms are not exactly exc-c14n")
            target = one(root, f"//*[@wsu:Id='{ref_uri[1:]}']")
            data = exc_c14n(target, prefix_list(transforms[0]))
        elif ref_uri.startswith("cid:"):
            if [t.get("Algorithm") for t in transforms] != [SWA_CONTENT]:
                raise Failure(f"{ref_uri}: transform is not Attachment-Content-Signature-Transform")
            if ref_uri[4:] not in attachments:
                raise Failure(f"{ref_uri}: no attachment given")
            data = attachments[ref_uri[4:]]
        else:
            raise Failure(f"unsupported reference URI {ref_uri}")
        if hashlib.sha256(data).digest() != expected:
            raise Failure(f"{ref_uri}: digest mismatch")

    signature_value = base64.b64decode("".join(one(sig, "ds:SignatureValue").text.split()))
    signed_info = exc_c14n(si, prefix_list(c14n_method))
    try:
        cert.public_key().verify(signature_value, signed_info, padding.PKCS1v15(), hashes.SHA256())
    except Exception as e:  # InvalidSignature carries no message
        raise Failure(f"SignatureValue does not verify: {type(e).__name__}")
    return len(refs)


def sign(key_path, cert_path, path, attachments):
    """Sign like WSS4J does (ec-prefixed InclusiveNamespaces, wsu:Id on the STR), in place of an empty Security."""
    with open(key_path, "rb") as f:
        key = serialization.load_pem_private_key(f.read(), password=None)
    with open(cert_path, "rb") as f:
        cert = x509.load_pem_x509_certificate(f.read())
    root = parse(path)
    security = one(root, "/S12:Envelope/S12:Header/wsse:Security")
    ds, wsse, wsu = "{%s}" % NS["ds"], "{%s}" % NS["wsse"], "{%s}" % NS["wsu"]
    bst_id = f"X509-{uuid.uuid4()}"
    bst = etree.SubElement(security, wsse + "BinarySecurityToken",
                           {"EncodingType": B64BIN, "ValueType": X509V3, wsu + "Id": bst_id})
    bst.text = base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()
    sig = etree.SubElement(security, ds + "Signature", {"Id": f"SIG-{uuid.uuid4()}"}, nsmap={"ds": NS["ds"]})
    si = etree.SubElement(sig, ds + "SignedInfo")
    cm = etree.SubElement(si, ds + "CanonicalizationMethod", {"Algorithm": EXC_C14N})
    etree.SubElement(cm, "{%s}InclusiveNamespaces" % NS["ec"], {"PrefixList": "S12"}, nsmap={"ec": NS["ec"]})
    etree.SubElement(si, ds + "SignatureMethod", {"Algorithm": RSA_SHA256})

    def reference(uri, transform, data, prefixes=None):
        ref = etree.SubElement(si, ds + "Reference", {"URI": uri})
        t = etree.SubElement(etree.SubElement(ref, ds + "Transforms"), ds + "Transform", {"Algorithm": transform})
        if prefixes:
            etree.SubElement(t, "{%s}InclusiveNamespaces" % NS["ec"], {"PrefixList": " ".join(prefixes)},
                             nsmap={"ec": NS["ec"]})
        etree.SubElement(ref, ds + "DigestMethod", {"Algorithm": SHA256})
        etree.SubElement(ref, ds + "DigestValue").text = base64.b64encode(hashlib.sha256(data).digest()).decode()

    for expr in ("/S12:Envelope/S12:Header/eb:Messaging", "/S12:Envelope/S12:Body"):
        target = one(root, expr)
        reference("#" + target.get(wsu + "Id"), EXC_C14N, exc_c14n(target, ["S12"]), ["S12"])
    for cid, data in attachments.items():
        reference("cid:" + cid, SWA_CONTENT, data)

    value = key.sign(exc_c14n(si, ["S12"]), padding.PKCS1v15(), hashes.SHA256())
    etree.SubElement(sig, ds + "SignatureValue").text = base64.b64encode(value).decode()
    str_ = etree.SubElement(etree.SubElement(sig, ds + "KeyInfo", {"Id": f"KI-{uuid.uuid4()}"}),
                            wsse + "SecurityTokenReference", {wsu + "Id": f"STR-{uuid.uuid4()}"})
    etree.SubElement(str_, wsse + "Reference", {"URI": "#" + bst_id, "ValueType": X509V3})
    sys.stdout.write(etree.tostring(root, encoding="unicode"))


def main(argv):
    try:
        if argv and argv[0] == "--sign":
            sign(argv[1], argv[2], argv[3], attachments_from(argv[4:]))
            return 0
        n = verify(argv[0], attachments_from(argv[1:]))
        print(f"python OK refs={n}")
        return 0
    except Failure as e:
        print(f"python FAIL {e}")
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
