#!/usr/bin/env python3
"""Independent AES-128-GCM and RSA-OAEP (SHA-256, MGF1-SHA-256) for the AS4 encryption interop tests.

Layout of encrypted attachments: IV(12) || ciphertext || tag(16), as XML Encryption 1.1 defines for GCM.

  crypto_aesgcm.py check                       exit 0 when python3-cryptography is importable
  crypto_aesgcm.py decrypt CEK_HEX IN OUT      decrypt an attachment file
  crypto_aesgcm.py encrypt CEK_HEX IN OUT      encrypt a file with a random IV
  crypto_aesgcm.py wrap CERT_PEM CEK_HEX       print base64 RSA-OAEP(SHA-256, MGF1-SHA-256) of the key
"""
import base64
import os
import sys


def main(argv):
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    cmd = argv[1]
    if cmd == "check":
        return 0
    if cmd in ("decrypt", "encrypt"):
        key = bytes.fromhex(argv[2])
        with open(argv[3], "rb") as f:
            data = f.read()
        if cmd == "decrypt":
            out = AESGCM(key).decrypt(data[:12], data[12:], None)
        else:
            iv = os.urandom(12)
            out = iv + AESGCM(key).encrypt(iv, data, None)
        with open(argv[4], "wb") as f:
            f.write(out)
        return 0
    if cmd == "wrap":
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        with open(argv[2], "rb") as f:
            cert = x509.load_pem_x509_certificate(f.read())
        oaep = padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
        print(base64.b64encode(cert.public_key().encrypt(bytes.fromhex(argv[3]), oaep)).decode())
        return 0
    print("unknown command " + cmd, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
