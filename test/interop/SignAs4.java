import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.FileInputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.UUID;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.transform.OutputKeys;
import javax.xml.transform.Transformer;
import javax.xml.transform.TransformerFactory;
import javax.xml.transform.dom.DOMSource;
import javax.xml.transform.stream.StreamResult;
import org.apache.xml.security.Init;
import org.apache.xml.security.algorithms.MessageDigestAlgorithm;
import org.apache.xml.security.c14n.Canonicalizer;
import org.apache.xml.security.signature.XMLSignature;
import org.apache.xml.security.signature.XMLSignatureInput;
import org.apache.xml.security.transforms.Transform;
import org.apache.xml.security.transforms.TransformSpi;
import org.apache.xml.security.transforms.Transforms;
import org.apache.xml.security.transforms.params.InclusiveNamespaces;
import org.apache.xml.security.utils.XMLUtils;
import org.apache.xml.security.utils.resolver.ResourceResolverContext;
import org.apache.xml.security.utils.resolver.ResourceResolverSpi;
import org.w3c.dom.Attr;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NamedNodeMap;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/**
 * Independent AS4 WS-Security signer with Apache Santuario's XMLSignature API (Debian libxml-security-java),
 * shaped like the signatures WSS4J writes for phase4: a wsse:BinarySecurityToken in the existing wsse:Security
 * header, exc-c14n SignedInfo with ec:InclusiveNamespaces (the prefixes in scope at wsse:Security), rsa-sha256,
 * exc-c14n + sha256 references to eb:Messaging and S12:Body by wsu:Id, one Attachment-Content-Signature-Transform
 * reference per attachment, and KeyInfo/wsse:SecurityTokenReference/wsse:Reference direct to the BST.
 *
 * Usage: java -cp xmlsec.jar:commons-logging.jar:slf4j-api.jar:slf4j-nop.jar:CLASSES SignAs4 [--line-breaks]
 *          KEY.pem CERT.pem UNSIGNED.xml [CID=FILE ...]
 * KEY.pem is an unencrypted PKCS#8 PEM RSA key, CERT.pem the signer's certificate, each FILE the attachment bytes
 * as sent (the gzip output when compressed). The signed envelope goes to stdout (UTF-8, with an XML declaration).
 *
 * WSS4J turns Santuario's base64 line wrapping off (org.apache.xml.security.ignoreLineBreaks); so do we, unless
 * --line-breaks asks for Santuario's default (76-column SignatureValue, newlines between ds elements).
 */
public class SignAs4 {
    static final String WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";
    static final String WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd";
    static final String S12 = "http://www.w3.org/2003/05/soap-envelope";
    static final String EB = "http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/";
    static final String DS = "http://www.w3.org/2000/09/xmldsig#";
    static final String XMLNS = "http://www.w3.org/2000/xmlns/";
    static final String SWA = "http://docs.oasis-open.org/wss/oasis-wss-SwAProfile-1.1#Attachment-Content-Signature-Transform";
    static final String X509V3 = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3";
    static final String BASE64 = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary";

    static final Map<String, byte[]> ATTACHMENTS = new LinkedHashMap<>();

    /** Attachment-Content-Signature-Transform: the content octets unchanged (MIME headers are not digested). */
    public static class PassThrough extends TransformSpi {
        public PassThrough() {}
        @Override protected String engineGetURI() { return SWA; }
        @Override protected XMLSignatureInput enginePerformTransform(XMLSignatureInput input, OutputStream os, Transform t) {
            return input;
        }
    }

    /** Resolves cid:CONTENT-ID to the attachment bytes given on the command line. */
    public static class CidResolver extends ResourceResolverSpi {
        @Override public boolean engineCanResolveURI(ResourceResolverContext ctx) {
            return ctx.uriToResolve != null && ctx.uriToResolve.startsWith("cid:");
        }
        @Override public XMLSignatureInput engineResolveURI(ResourceResolverContext ctx) {
            byte[] data = ATTACHMENTS.get(ctx.uriToResolve.substring(4));
            if (data == null) throw new IllegalStateException("no attachment for " + ctx.uriToResolve);
            XMLSignatureInput in = new XMLSignatureInput(data);
            in.setSourceURI(ctx.uriToResolve);
            return in;
        }
    }

    public static void main(String[] args) throws Exception {
        int a = 0;
        boolean lineBreaks = false;
        if (args.length > 0 && args[0].equals("--line-breaks")) {
            lineBreaks = true;
            a++;
        }
        if (args.length - a < 3) {
            System.err.println("usage: SignAs4 [--line-breaks] KEY.pem CERT.pem UNSIGNED.xml [CID=FILE ...]");
            System.exit(2);
        }
        // Read once by XMLUtils' static initialiser, so it must be set before Santuario initialises.
        System.setProperty("org.apache.xml.security.ignoreLineBreaks", Boolean.toString(!lineBreaks));
        Init.init();
        Transform.register(SWA, PassThrough.class);

        PrivateKey key = readPkcs8Pem(new File(args[a]));
        X509Certificate cert;
        try (FileInputStream in = new FileInputStream(args[a + 1])) {
            cert = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
        File unsigned = new File(args[a + 2]);
        for (int i = a + 3; i < args.length; i++) {
            int eq = args[i].indexOf('=');
            ATTACHMENTS.put(args[i].substring(0, eq), Files.readAllBytes(new File(args[i].substring(eq + 1)).toPath()));
        }

        Document doc = parse(unsigned);
        sign(doc, key, cert);
        System.out.write(serialize(doc));
        System.out.flush();
    }

    static void sign(Document doc, PrivateKey key, X509Certificate cert) throws Exception {
        Element envelope = doc.getDocumentElement();
        Element header = onlyChild(envelope, S12, "Header");
        Element body = onlyChild(envelope, S12, "Body");
        Element security = onlyChild(header, WSSE, "Security");
        Element messaging = onlyChild(header, EB, "Messaging");
        String messagingId = messaging.getAttributeNS(WSU, "Id");
        String bodyId = body.getAttributeNS(WSU, "Id");
        if (messagingId.isEmpty() || bodyId.isEmpty()) throw new IllegalStateException("eb:Messaging and S12:Body need a wsu:Id");
        registerWsuIds(doc);

        String uuidBst = "X509-" + UUID.randomUUID();
        Element bst = doc.createElementNS(WSSE, "wsse:BinarySecurityToken");
        bst.setAttributeNS(null, "EncodingType", BASE64);
        bst.setAttributeNS(null, "ValueType", X509V3);
        bst.setAttributeNS(WSU, "wsu:Id", uuidBst);
        bst.setIdAttributeNS(WSU, "Id", true);
        bst.appendChild(doc.createTextNode(Base64.getEncoder().encodeToString(cert.getEncoded())));
        security.appendChild(bst);

        // SignedInfo: exc-c14n with the prefixes in scope at wsse:Security in the PrefixList, as WSS4J writes it.
        Element c14n = XMLUtils.createElementInSignatureSpace(doc, "CanonicalizationMethod");
        c14n.setAttributeNS(null, "Algorithm", Canonicalizer.ALGO_ID_C14N_EXCL_OMIT_COMMENTS);
        List<String> signedInfoPrefixes = inclusivePrefixes(security, false);
        if (!signedInfoPrefixes.isEmpty()) {
            c14n.appendChild(new InclusiveNamespaces(doc, String.join(" ", signedInfoPrefixes)).getElement());
        }
        Element sigMethod = XMLUtils.createElementInSignatureSpace(doc, "SignatureMethod");
        sigMethod.setAttributeNS(null, "Algorithm", XMLSignature.ALGO_ID_SIGNATURE_RSA_SHA256);

        XMLSignature sig = new XMLSignature(doc, "", sigMethod, c14n);
        sig.setId("SIG-" + UUID.randomUUID());
        security.appendChild(sig.getElement());
        sig.addResourceResolver(new CidResolver());

        for (Element target : new Element[] {messaging, body}) {
            Transforms transforms = new Transforms(doc);
            // WSS4J: the ancestors' prefixes that the element itself does not visibly use (often none).
            List<String> prefixes = inclusivePrefixes(target, true);
            if (prefixes.isEmpty()) {
                transforms.addTransform(Transforms.TRANSFORM_C14N_EXCL_OMIT_COMMENTS);
            } else {
                transforms.addTransform(Transforms.TRANSFORM_C14N_EXCL_OMIT_COMMENTS,
                    new InclusiveNamespaces(doc, String.join(" ", prefixes)).getElement());
            }
            sig.addDocument("#" + target.getAttributeNS(WSU, "Id"), transforms, MessageDigestAlgorithm.ALGO_ID_DIGEST_SHA256);
        }
        for (String cid : ATTACHMENTS.keySet()) {
            Transforms transforms = new Transforms(doc);
            transforms.addTransform(SWA);
            sig.addDocument("cid:" + cid, transforms, MessageDigestAlgorithm.ALGO_ID_DIGEST_SHA256);
        }

        sig.getKeyInfo().setId("KI-" + UUID.randomUUID());
        Element str = doc.createElementNS(WSSE, "wsse:SecurityTokenReference");
        str.setAttributeNS(WSU, "wsu:Id", "STR-" + UUID.randomUUID());
        Element ref = doc.createElementNS(WSSE, "wsse:Reference");
        ref.setAttributeNS(null, "URI", "#" + uuidBst);
        ref.setAttributeNS(null, "ValueType", X509V3);
        str.appendChild(ref);
        sig.getKeyInfo().addUnknownElement(str);

        sig.sign(key);
    }

    /**
     * The namespace prefixes declared on the ancestors of `target` (root included), minus — when excludeVisible —
     * those the element itself declares or uses in its name or attributes. This is how WSS4J fills the PrefixList.
     */
    static List<String> inclusivePrefixes(Element target, boolean excludeVisible) {
        TreeSet<String> result = new TreeSet<>();
        for (Node p = target.getParentNode(); p != null && p.getNodeType() == Node.ELEMENT_NODE; p = p.getParentNode()) {
            NamedNodeMap attrs = p.getAttributes();
            for (int i = 0; i < attrs.getLength(); i++) {
                Attr at = (Attr) attrs.item(i);
                if (XMLNS.equals(at.getNamespaceURI())) result.add("xmlns".equals(at.getName()) ? "#default" : at.getLocalName());
            }
        }
        if (excludeVisible) {
            NamedNodeMap attrs = target.getAttributes();
            for (int i = 0; i < attrs.getLength(); i++) {
                Attr at = (Attr) attrs.item(i);
                if (XMLNS.equals(at.getNamespaceURI())) result.remove("xmlns".equals(at.getName()) ? "#default" : at.getLocalName());
                else if (at.getPrefix() != null) result.remove(at.getPrefix());
            }
            result.remove(target.getPrefix() == null ? "#default" : target.getPrefix());
        }
        return new ArrayList<>(result);
    }

    /** wsu:Id is not a DTD ID; tell the DOM which attributes identify elements so "#id" references resolve. */
    static void registerWsuIds(Document doc) {
        NodeList all = doc.getElementsByTagNameNS("*", "*");
        for (int i = 0; i < all.getLength(); i++) {
            Element el = (Element) all.item(i);
            if (el.hasAttributeNS(WSU, "Id")) el.setIdAttributeNS(WSU, "Id", true);
        }
    }

    static Element onlyChild(Element parent, String ns, String local) {
        Element found = null;
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n.getNodeType() == Node.ELEMENT_NODE && ns.equals(n.getNamespaceURI()) && local.equals(n.getLocalName())) {
                if (found != null) throw new IllegalStateException("more than one " + local);
                found = (Element) n;
            }
        }
        if (found == null) throw new IllegalStateException("no " + local + " in " + parent.getLocalName());
        return found;
    }

    static PrivateKey readPkcs8Pem(File file) throws Exception {
        String pem = new String(Files.readAllBytes(file.toPath()), StandardCharsets.US_ASCII);
        if (!pem.contains("-----BEGIN PRIVATE KEY-----")) throw new IllegalArgumentException("not an unencrypted PKCS#8 PEM key");
        String b64 = pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(b64)));
    }

    static Document parse(File file) throws Exception {
        DocumentBuilderFactory dbf = DocumentBuilderFactory.newInstance();
        dbf.setNamespaceAware(true);
        dbf.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        dbf.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
        return dbf.newDocumentBuilder().parse(file);
    }

    static byte[] serialize(Document doc) throws Exception {
        Transformer t = TransformerFactory.newInstance().newTransformer();
        t.setOutputProperty(OutputKeys.ENCODING, "UTF-8");
        t.setOutputProperty(OutputKeys.OMIT_XML_DECLARATION, "no");
        t.setOutputProperty(OutputKeys.INDENT, "no");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        t.transform(new DOMSource(doc), new StreamResult(out));
        return out.toByteArray();
    }
}
