"""Evidence packs exported by a real portal and verified offline in pure Python: the signature with the published
key, audit hashes, manifests; an edited manifest line and a wrong key are named."""
from __future__ import annotations

import base64
import json
import unittest
import urllib.request
import zipfile

import portal
from portal.evidence import ecdsa_p256_verify, key_id

from .support import PortalTestCase


class EvidenceTests(PortalTestCase):
    def test_a_pack_from_the_portal_verifies_and_tampering_is_named(self) -> None:
        self.write("py-evidence/a.txt", b"alpha\n")
        self.write("py-evidence/b.txt", b"beta\n")
        art = portal.Artifact("py-evidence", type="documents")
        art.add_dir(str(self.scratch / "py-evidence"))
        self.api().log_artifact(art, aliases=["production"])

        pack = self.api().export_evidence("py-evidence:production", str(self.scratch / "pack.zip"), at="2100-01-01T00:00Z")
        with urllib.request.urlopen(self.server.url + "/.well-known/portal-evidence-keys.json") as response:
            keys = response.read().decode()
        verdict = portal.verify_evidence(pack, public_key=keys)
        self.assertTrue(verdict.passed, [c for c in verdict.claims if not c.passed])
        names = [c.name for c in verdict.claims]
        self.assertEqual(["signature", "checksums", "audit.records", "audit.head", "manifest:py-evidence:v0", "approvals"], names)

        # An edited manifest line, the checksums left as they were.
        tampered = self.scratch / "tampered.zip"
        with zipfile.ZipFile(pack) as source, zipfile.ZipFile(tampered, "w") as target:
            for item in source.infolist():
                data = source.read(item.filename)
                if item.filename.startswith("manifests/"):
                    data = data.replace(b"a.txt", b"z.txt")
                target.writestr(item.filename, data)
        failed = {c.name: c for c in portal.verify_evidence(str(tampered), public_key=keys).claims if not c.passed}
        self.assertEqual({"checksums", "manifest:py-evidence:v0"}, set(failed))

        # A wrong key: another key's SPKI.
        with zipfile.ZipFile(pack) as source:
            signature = json.loads(source.read("signature.json"))
        other = base64.b64decode(json.loads(keys)["keys"][0]["publicKey"])
        other = other[:-1] + bytes([other[-1] ^ 1])
        wrong = portal.verify_evidence(pack, public_key=other)
        self.assertFalse(wrong.passed)
        self.assertIn("not among the given public keys", [c for c in wrong.claims if c.name == "signature"][0].detail)
        self.assertEqual(signature["keyId"], key_id(base64.b64decode(signature["publicKey"])))

    def test_the_ecdsa_check_refuses_a_changed_message_or_signature(self) -> None:
        self.write("py-evidence2/a.txt", b"gamma\n")
        art = portal.Artifact("py-evidence2", type="documents")
        art.add_dir(str(self.scratch / "py-evidence2"))
        self.api().log_artifact(art)
        pack = self.api().export_evidence("py-evidence2:v0", str(self.scratch / "pack.zip"))
        with zipfile.ZipFile(pack) as source:
            signature = json.loads(source.read("signature.json"))
            checksums = source.read("checksums.sha256")
        spki = base64.b64decode(signature["publicKey"])
        point = (int.from_bytes(spki[27:59], "big"), int.from_bytes(spki[59:91], "big"))
        raw = base64.b64decode(signature["signature"])
        self.assertTrue(ecdsa_p256_verify(point, checksums, raw))
        self.assertFalse(ecdsa_p256_verify(point, checksums + b"x", raw))
        self.assertFalse(ecdsa_p256_verify(point, checksums, raw[:32] + bytes(32)))
        self.assertFalse(ecdsa_p256_verify(point, checksums, bytes([raw[0] ^ 1]) + raw[1:]))


if __name__ == "__main__":
    unittest.main()
