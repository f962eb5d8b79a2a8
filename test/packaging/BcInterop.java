import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Security;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.List;

import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.RSAESOAEPparams;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaCertStore;
import org.bouncycastle.cms.CMSAlgorithm;
import org.bouncycastle.cms.CMSEnvelopedDataParser;
import org.bouncycastle.cms.CMSEnvelopedDataStreamGenerator;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.cms.RecipientInformation;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.jcajce.JcaSignerInfoGeneratorBuilder;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.bouncycastle.cms.jcajce.JceCMSContentEncryptorBuilder;
import org.bouncycastle.cms.jcajce.JceKeyTransEnvelopedRecipient;
import org.bouncycastle.cms.jcajce.JceKeyTransRecipientInfoGenerator;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;

/**
 * BouncyCastle doing what the integrasjonspunkt does with it, for packaging tests:
 *   encrypt CERT IN OUT oaep|pkcs1  streaming EnvelopedData, AES-256-CBC, key transport RSAES-OAEP SHA-256/MGF1-SHA-256
 *                                   (hash parameters NULL) or BouncyCastle's default (PKCS#1 v1.5), as efm-common's
 *                                   CreateCMSDocument
 *   decrypt KEY IN OUT              the first recipient, as efm-common's DecryptCMSDocument
 *   sign KEY CERT IN OUT            detached SignedData, SHA1withRSA, BouncyCastle's default signed attributes, as
 *                                   commons-asic's SignatureHelper
 *   verify IN SIG                   every signer verified with the certificate its SID names, as commons-asic's
 *                                   SignatureVerifier; prints the signer's subject
 */
public class BcInterop {
    public static void main(String[] args) throws Exception {
        Security.addProvider(new BouncyCastleProvider());
        switch (args[0]) {
            case "encrypt" -> encrypt(certificate(args[1]), Files.readAllBytes(Path.of(args[2])), Path.of(args[3]), args[4]);
            case "decrypt" -> decrypt(privateKey(args[1]), Files.readAllBytes(Path.of(args[2])), Path.of(args[3]));
            case "sign" -> sign(privateKey(args[1]), certificate(args[2]), Files.readAllBytes(Path.of(args[3])), Path.of(args[4]));
            case "verify" -> verify(Files.readAllBytes(Path.of(args[1])), Files.readAllBytes(Path.of(args[2])));
            default -> throw new IllegalArgumentException(args[0]);
        }
    }

    static AlgorithmIdentifier oaepSha256() {
        AlgorithmIdentifier hash = new AlgorithmIdentifier(NISTObjectIdentifiers.id_sha256, DERNull.INSTANCE);
        AlgorithmIdentifier mgf = new AlgorithmIdentifier(PKCSObjectIdentifiers.id_mgf1, hash);
        AlgorithmIdentifier label = new AlgorithmIdentifier(PKCSObjectIdentifiers.id_pSpecified, new DEROctetString(new byte[0]));
        ASN1Encodable params = new RSAESOAEPparams(hash, mgf, label);
        return new AlgorithmIdentifier(PKCSObjectIdentifiers.id_RSAES_OAEP, params);
    }

    static void encrypt(X509Certificate cert, byte[] plain, Path out, String scheme) throws Exception {
        JceKeyTransRecipientInfoGenerator recipient = scheme.equals("oaep")
                ? new JceKeyTransRecipientInfoGenerator(cert, oaepSha256())
                : new JceKeyTransRecipientInfoGenerator(cert);
        recipient.setProvider(BouncyCastleProvider.PROVIDER_NAME);
        CMSEnvelopedDataStreamGenerator generator = new CMSEnvelopedDataStreamGenerator();
        generator.addRecipientInfoGenerator(recipient);
        try (OutputStream file = Files.newOutputStream(out);
             OutputStream sealed = generator.open(file, new JceCMSContentEncryptorBuilder(CMSAlgorithm.AES256_CBC).build())) {
            sealed.write(plain);
        }
    }

    static void decrypt(PrivateKey key, byte[] cms, Path out) throws Exception {
        CMSEnvelopedDataParser parser = new CMSEnvelopedDataParser(new ByteArrayInputStream(cms));
        RecipientInformation recipient = parser.getRecipientInfos().getRecipients().iterator().next();
        try (InputStream in = recipient.getContentStream(new JceKeyTransEnvelopedRecipient(key)).getContentStream()) {
            Files.write(out, in.readAllBytes());
        }
    }

    static void sign(PrivateKey key, X509Certificate cert, byte[] data, Path out) throws Exception {
        ContentSigner signer = new JcaContentSignerBuilder("SHA1withRSA").setProvider(BouncyCastleProvider.PROVIDER_NAME).build(key);
        CMSSignedDataGenerator generator = new CMSSignedDataGenerator();
        generator.addSignerInfoGenerator(new JcaSignerInfoGeneratorBuilder(new JcaDigestCalculatorProviderBuilder().build()).build(signer, cert));
        generator.addCertificates(new JcaCertStore(List.of(cert)));
        Files.write(out, generator.generate(new CMSProcessableByteArray(data), false).getEncoded());
    }

    @SuppressWarnings("unchecked")
    static void verify(byte[] data, byte[] signature) throws Exception {
        CMSSignedData signed = new CMSSignedData(new CMSProcessableByteArray(data), signature);
        for (SignerInformation info : signed.getSignerInfos().getSigners()) {
            X509CertificateHolder holder = (X509CertificateHolder) signed.getCertificates().getMatches(info.getSID()).iterator().next();
            if (!info.verify(new JcaSimpleSignerInfoVerifierBuilder().setProvider(BouncyCastleProvider.PROVIDER_NAME).build(holder))) {
                System.out.println("NOT VERIFIED");
                System.exit(1);
            }
            System.out.println("verified " + holder.getSubject());
        }
    }

    static X509Certificate certificate(String path) throws Exception {
        try (InputStream in = Files.newInputStream(Path.of(path))) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }

    static PrivateKey privateKey(String path) throws Exception {
        String pem = Files.readString(Path.of(path), StandardCharsets.US_ASCII)
                .replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(pem)));
    }
}
