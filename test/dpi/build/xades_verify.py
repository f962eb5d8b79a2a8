#!/usr/bin/python3
"""Independent check of an ASiC-E dokumentpakke's XAdES signature, sharing no code with the TypeScript
verifier: libxml2's C14N (python3-lxml) and python3-cryptography.

Usage: xades_verify.py <container.zip>
       xades_verify.py sign <in.zip> <out.zip> <key.pem> <cert.pem> [<chain.pem>...]

verify prints "OK <signing time>" and exits 0 when every file outside META-INF is referenced with the right SHA-256
digest, the SignedProperties digest and the RSA signature over SignedInfo verify with the first KeyInfo
certificate, and SigningCertificate's CertDigest is that certificate's; otherwise prints the reason and
exits 1.

sign writes a copy of the container re-signed in another namespace layout than ours or Digdir's (ds: and
xades: prefixes and a default namespace all declared on the root, as EU DSS-style producers do), so the
TypeScript verifier is shown to canonicalise SignedProperties and SignedInfo with their ancestors'
namespaces rather than only our own shape.

Inclusive C14N of a subtree is done on a detached copy: canonicalising in place, libxml2 writes xmlns="" on
children under an inherited default namespace, and lxml's deep copy keeps only the namespaces the subtree
uses, while inclusive C14N renders every namespace in scope on the apex (as Apache Santuario does). So the
copy's apex is rebuilt with the original's full namespace map.
"""
import base64
import copy
import hashlib
import sys
import urllib.parse
import zipfile

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from lxml import etree

DS = "http://www.w3.org/2000/09/xmldsig#"
XADES = "http://uri.etsi.org/01903/v1.3.2#"
ASIC = "http://uri.etsi.org/02918/v1.2.1#"
C14N10 = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
SP_TYPE = "http://uri.etsi.org/01903#SignedProperties"
CERT_DIGESTS = {"http://www.w3.org/2000/09/xmldsig#sha1": "sha1", SHA256: "sha256"}


def fail(reason):
    print("FAIL " + reason)
    sys.exit(1)


def c14n(el):
    """Inclusive C14N 1.0 of the subtree at el, with every namespace in scope rendered on the apex."""
    clone = copy.deepcopy(el)
    # The copy keeps only the namespaces its subtree uses; C14N renders all in scope, so restore them.
    apex = etree.Element(clone.tag, attrib=dict(clone.attrib), nsmap=el.nsmap)
    apex.text = clone.text
    for child in list(clone):
        apex.append(child)
    return etree.tostring(apex, method="c14n", exclusive=False, with_comments=False)


def b64(el):
    return base64.b64decode("".join(el.text.split()))


def main(path):
    with zipfile.ZipFile(path) as z:
        infos = z.infolist()
        if not infos or infos[0].filename != "mimetype" or infos[0].compress_type != zipfile.ZIP_STORED:
            fail("mimetype is not the first, stored entry")
        if z.read("mimetype") != b"application/vnd.etsi.asic-e+zip":
            fail("wrong mimetype content")
        files = {i.filename: z.read(i.filename) for i in infos
                 if i.filename != "mimetype" and not i.filename.startswith("META-INF/")}
        parser = etree.XMLParser(resolve_entities=False, no_network=True)
        root = etree.fromstring(z.read("META-INF/signatures.xml"), parser)

    if root.tag != "{%s}XAdESSignatures" % ASIC:
        fail("root is " + root.tag)
    sigs = root.findall("{%s}Signature" % DS)
    if len(sigs) != 1:
        fail("expected one ds:Signature")
    sig = sigs[0]
    si = sig.find("{%s}SignedInfo" % DS)
    if si.find("{%s}CanonicalizationMethod" % DS).get("Algorithm") != C14N10:
        fail("SignedInfo c14n is not inclusive c14n 1.0")
    if si.find("{%s}SignatureMethod" % DS).get("Algorithm") != RSA_SHA256:
        fail("signature method is not rsa-sha256")

    covered = set()
    sp_ok = False
    for ref in si.findall("{%s}Reference" % DS):
        uri = ref.get("URI")
        if ref.find("{%s}DigestMethod" % DS).get("Algorithm") != SHA256:
            fail("digest method of %s is not sha256" % uri)
        expected = b64(ref.find("{%s}DigestValue" % DS))
        if ref.get("Type") == SP_TYPE:
            transforms = ref.findall("{%s}Transforms/{%s}Transform" % (DS, DS))
            if [t.get("Algorithm") for t in transforms] != [C14N10]:
                fail("SignedProperties reference must have exactly the c14n 1.0 transform")
            targets = root.xpath("//*[@Id=$id]", id=uri[1:])
            if len(targets) != 1 or targets[0].tag != "{%s}SignedProperties" % XADES:
                fail("SignedProperties reference does not point at one SignedProperties")
            if hashlib.sha256(c14n(targets[0])).digest() != expected:
                fail("SignedProperties digest mismatch")
            sp_ok = True
            continue
        if ref.find("{%s}Transforms" % DS) is not None:
            fail("file reference %s has transforms" % uri)
        name = urllib.parse.unquote(uri)
        if name not in files:
            fail("reference to a missing file " + name)
        if hashlib.sha256(files[name]).digest() != expected:
            fail("digest mismatch for " + name)
        covered.add(name)
    if not sp_ok:
        fail("no SignedProperties reference")
    if covered != set(files):
        fail("files not covered by the signature: %s" % sorted(set(files) - covered))

    certs = sig.findall("{%s}KeyInfo/{%s}X509Data/{%s}X509Certificate" % (DS, DS, DS))
    if not certs:
        fail("no certificate in KeyInfo")
    der = b64(certs[0])
    cert = x509.load_der_x509_certificate(der)
    cd = sig.find(".//{%s}SigningCertificate/{%s}Cert/{%s}CertDigest" % (XADES, XADES, XADES))
    algo = CERT_DIGESTS.get(cd.find("{%s}DigestMethod" % DS).get("Algorithm"))
    if algo is None or hashlib.new(algo, der).digest() != b64(cd.find("{%s}DigestValue" % DS)):
        fail("CertDigest does not match the first KeyInfo certificate")
    serial = sig.find(".//{%s}IssuerSerial/{%s}X509SerialNumber" % (XADES, DS)).text.strip()
    if int(serial) != cert.serial_number:
        fail("IssuerSerial serial number mismatch")

    try:
        cert.public_key().verify(b64(sig.find("{%s}SignatureValue" % DS)), c14n(si), padding.PKCS1v15(), hashes.SHA256())
    except Exception as e:  # InvalidSignature carries no message
        fail("signature value does not verify: %r" % e)
    print("OK " + sig.find(".//{%s}SigningTime" % XADES).text)


def sign(src, dst, key_pem, cert_pem, *chain_pems):
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_private_key(open(key_pem, "rb").read(), password=None)
    certs = [x509.load_pem_x509_certificate(open(p, "rb").read()) for p in (cert_pem,) + chain_pems]
    ders = [c.public_bytes(serialization.Encoding.DER) for c in certs]
    with zipfile.ZipFile(src) as z:
        names = [i.filename for i in z.infolist() if i.filename != "mimetype" and not i.filename.startswith("META-INF/")]
        contents = {n: z.read(n) for n in names}

    nsmap = {None: ASIC, "ds": DS, "xades": XADES}
    root = etree.Element("{%s}XAdESSignatures" % ASIC, nsmap=nsmap)
    sig = etree.SubElement(root, "{%s}Signature" % DS, Id="S-1")
    si = etree.SubElement(sig, "{%s}SignedInfo" % DS)
    etree.SubElement(si, "{%s}CanonicalizationMethod" % DS, Algorithm=C14N10)
    etree.SubElement(si, "{%s}SignatureMethod" % DS, Algorithm=RSA_SHA256)
    for i, n in enumerate(names):
        ref = etree.SubElement(si, "{%s}Reference" % DS, Id="r-%d" % i, URI=urllib.parse.quote(n))
        etree.SubElement(ref, "{%s}DigestMethod" % DS, Algorithm=SHA256)
        etree.SubElement(ref, "{%s}DigestValue" % DS).text = base64.b64encode(hashlib.sha256(contents[n]).digest()).decode()
    sv = etree.SubElement(sig, "{%s}SignatureValue" % DS)
    x509data = etree.SubElement(etree.SubElement(sig, "{%s}KeyInfo" % DS), "{%s}X509Data" % DS)
    for der in ders:
        etree.SubElement(x509data, "{%s}X509Certificate" % DS).text = base64.b64encode(der).decode()
    qp = etree.SubElement(etree.SubElement(sig, "{%s}Object" % DS), "{%s}QualifyingProperties" % XADES, Target="#S-1")
    sp = etree.SubElement(qp, "{%s}SignedProperties" % XADES, Id="xades-S-1")
    ssp = etree.SubElement(sp, "{%s}SignedSignatureProperties" % XADES)
    etree.SubElement(ssp, "{%s}SigningTime" % XADES).text = "2025-06-01T12:00:00+02:00"
    cert_el = etree.SubElement(etree.SubElement(ssp, "{%s}SigningCertificate" % XADES), "{%s}Cert" % XADES)
    cd = etree.SubElement(cert_el, "{%s}CertDigest" % XADES)
    etree.SubElement(cd, "{%s}DigestMethod" % DS, Algorithm=SHA256)
    etree.SubElement(cd, "{%s}DigestValue" % DS).text = base64.b64encode(hashlib.sha256(ders[0]).digest()).decode()
    iss = etree.SubElement(cert_el, "{%s}IssuerSerial" % XADES)
    etree.SubElement(iss, "{%s}X509IssuerName" % DS).text = certs[0].issuer.rfc4514_string()
    etree.SubElement(iss, "{%s}X509SerialNumber" % DS).text = str(certs[0].serial_number)
    sdop = etree.SubElement(sp, "{%s}SignedDataObjectProperties" % XADES)
    for i, n in enumerate(names):
        dof = etree.SubElement(sdop, "{%s}DataObjectFormat" % XADES, ObjectReference="#r-%d" % i)
        etree.SubElement(dof, "{%s}MimeType" % XADES).text = "application/octet-stream"

    spref = etree.Element("{%s}Reference" % DS, Type=SP_TYPE, URI="#xades-S-1")
    si.append(spref)
    etree.SubElement(etree.SubElement(spref, "{%s}Transforms" % DS), "{%s}Transform" % DS, Algorithm=C14N10)
    etree.SubElement(spref, "{%s}DigestMethod" % DS, Algorithm=SHA256)
    etree.SubElement(spref, "{%s}DigestValue" % DS).text = base64.b64encode(hashlib.sha256(c14n(sp)).digest()).decode()
    sv.text = base64.b64encode(key.sign(c14n(si), padding.PKCS1v15(), hashes.SHA256())).decode()

    with zipfile.ZipFile(dst, "w") as out:
        out.writestr(zipfile.ZipInfo("mimetype"), b"application/vnd.etsi.asic-e+zip", compress_type=zipfile.ZIP_STORED)
        for n in names:
            out.writestr(n, contents[n], compress_type=zipfile.ZIP_DEFLATED)
        out.writestr("META-INF/signatures.xml", etree.tostring(root, xml_declaration=True, encoding="UTF-8"),
                     compress_type=zipfile.ZIP_DEFLATED)
    print("SIGNED")


if __name__ == "__main__":
    if sys.argv[1] == "sign":
        sign(*sys.argv[2:])
    else:
        main(sys.argv[1])
