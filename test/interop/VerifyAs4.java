import java.io.ByteArrayInputStream;
import java.io.File;
import java.io.OutputStream;
import java.nio.file.Files;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import org.apache.xml.security.Init;
import org.apache.xml.security.signature.Reference;
import org.apache.xml.security.signature.SignedInfo;
import org.apache.xml.security.signature.XMLSignature;
import org.apache.xml.security.signature.XMLSignatureInput;
import org.apache.xml.security.transforms.Transform;
import org.apache.xml.security.transforms.TransformSpi;
import org.apache.xml.security.utils.resolver.ResourceResolverContext;
import org.apache.xml.security.utils.resolver.ResourceResolverSpi;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * Independent verifier of an AS4 WS-Security signature with Apache Santuario (Debian libxml-security-java).
 *
 * Usage: java -cp xmlsec.jar:commons-logging.jar:slf4j-api.jar:slf4j-nop.jar VerifyAs4.java SIGNED.xml [CID=FILE ...]
 * Prints "Santuario OK refs=N" and exits 0, or "Santuario FAIL ..." and exits 1.
 *
 * cid: references are resolved from the given files; the Attachment-Content-Signature-Transform passes the
 * attachment octets through (MIME headers are not part of the content-only digest).
 */
public class VerifyAs4 {
    static final String WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";
    static final String WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd";
    static final String DS = "http://www.w3.org/2000/09/xmldsig#";
    static final String SWA = "http://docs.oasis-open.org/wss/oasis-wss-SwAProfile-1.1#Attachment-Content-Signature-Transform";

    static final Map<String, byte[]> ATTACHMENTS = new HashMap<>();

    /** Attachment-Content-Signature-Transform: the content octets unchanged. */
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
        Init.init();
        Transform.register(SWA, PassThrough.class);
        for (int i = 1; i < args.length; i++) {
            int eq = args[i].indexOf('=');
            ATTACHMENTS.put(args[i].substring(0, eq), Files.readAllBytes(new File(args[i].substring(eq + 1)).toPath()));
        }
        try {
            int n = verify(new File(args[0]));
            System.out.println("Santuario OK refs=" + n);
        } catch (Exception e) {
            System.out.println("Santuario FAIL " + e);
            System.exit(1);
        }
    }

    static int verify(File file) throws Exception {
        DocumentBuilderFactory dbf = DocumentBuilderFactory.newInstance();
        dbf.setNamespaceAware(true);
        dbf.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        dbf.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
        Document doc = dbf.newDocumentBuilder().parse(file);

        // wsu:Id is not a DTD ID; tell the DOM which attributes identify elements.
        NodeList all = doc.getElementsByTagNameNS("*", "*");
        for (int i = 0; i < all.getLength(); i++) {
            Element el = (Element) all.item(i);
            if (el.hasAttributeNS(WSU, "Id")) el.setIdAttributeNS(WSU, "Id", true);
        }

        NodeList sigs = doc.getElementsByTagNameNS(DS, "Signature");
        if (sigs.getLength() != 1) throw new IllegalStateException("expected one ds:Signature, found " + sigs.getLength());
        Element sigEl = (Element) sigs.item(0);
        XMLSignature sig = new XMLSignature(sigEl, "", false);
        sig.addResourceResolver(new CidResolver());

        Element ref = (Element) sigEl.getElementsByTagNameNS(WSSE, "Reference").item(0);
        String uri = ref.getAttribute("URI");
        if (!uri.startsWith("#")) throw new IllegalStateException("KeyInfo is not a direct reference");
        Element bst = doc.getElementById(uri.substring(1));
        if (bst == null || !"BinarySecurityToken".equals(bst.getLocalName())) throw new IllegalStateException("no BST " + uri);
        byte[] der = Base64.getMimeDecoder().decode(bst.getTextContent());
        X509Certificate cert = (X509Certificate) CertificateFactory.getInstance("X.509")
            .generateCertificate(new ByteArrayInputStream(der));

        boolean ok = sig.checkSignatureValue(cert);
        SignedInfo si = sig.getSignedInfo();
        StringBuilder bad = new StringBuilder();
        for (int i = 0; i < si.getLength(); i++) {
            Reference r = si.item(i);
            if (!r.verify()) bad.append(' ').append(r.getURI());
        }
        if (!ok || bad.length() > 0) throw new IllegalStateException("signature invalid; bad references:" + bad);
        return si.getLength();
    }
}
