import java.io.File;
import javax.xml.parsers.DocumentBuilderFactory;
import org.apache.xml.security.Init;
import org.apache.xml.security.c14n.Canonicalizer;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

/**
 * Inclusive C14N 1.0 (Apache Santuario) of the first element with the given namespace and local name, written
 * to stdout: the reference our canonicalize() is compared with for SignedInfo and SignedProperties.
 *
 * Usage: java C14nSubtree <file.xml> <namespace> <localName>
 */
public class C14nSubtree {
  public static void main(String[] args) throws Exception {
    Init.init();
    DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
    factory.setNamespaceAware(true);
    factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
    Document doc = factory.newDocumentBuilder().parse(new File(args[0]));
    Element el = (Element) doc.getElementsByTagNameNS(args[1], args[2]).item(0);
    if (el == null) {
      System.err.println("no element " + args[2]);
      System.exit(2);
    }
    System.out.write(Canonicalizer.getInstance(Canonicalizer.ALGO_ID_C14N_OMIT_COMMENTS).canonicalizeSubtree(el));
    System.out.flush();
  }
}
