"""Offline verification of the portal's evidence packs, with the standard library only.

``verify_evidence("pack.zip", public_key=...)`` checks what ``portal evidence verify`` checks, claim by claim: the
ECDSA P-256 signature over ``checksums.sha256`` (with a pinned public key, or the one in the pack), the SHA-256 of every
file, each audit record's hash and the links between consecutive records, the chain head, each manifest against its
recorded digest and file count, and that every approval a promotion lists is backed by an audit record and back.
"""
from __future__ import annotations

import base64
import hashlib
import json
import zipfile
from dataclasses import dataclass
from typing import Any, Optional, Sequence, Union

from .manifest import ManifestEntry, manifest_digest

ALGORITHM = "ECDSA-P256-SHA256"
FORMAT = "portal-evidence-v1"
EVIDENCE, AUDIT, CHECKSUMS, SIGNATURE = "evidence.json", "audit.json", "checksums.sha256", "signature.json"

# NIST P-256 (FIPS 186-4, D.1.2.3).
_P = 0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF
_A = _P - 3
_B = 0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B
_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
_G = (0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296,
      0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5)


@dataclass(frozen=True)
class Claim:
    """One checked claim: ``name`` (``signature``, ``checksums``, ``audit.records``, ``manifest:<artifact>:<vN>`` …)."""

    name: str
    passed: bool
    detail: str


@dataclass(frozen=True)
class Verdict:
    claims: list[Claim]

    @property
    def passed(self) -> bool:
        return bool(self.claims) and all(c.passed for c in self.claims)


# -- ECDSA P-256 verification (Jacobian coordinates) ---------------------------------------------------------------

def _double(p: tuple[int, int, int]) -> tuple[int, int, int]:
    x, y, z = p
    if y == 0 or z == 0:
        return (0, 1, 0)
    yy = y * y % _P
    s = 4 * x * yy % _P
    zz = z * z % _P
    m = 3 * (x - zz) * (x + zz) % _P  # a = -3
    x3 = (m * m - 2 * s) % _P
    return (x3, (m * (s - x3) - 8 * yy * yy) % _P, 2 * y * z % _P)


def _add(p: tuple[int, int, int], q: tuple[int, int, int]) -> tuple[int, int, int]:
    if p[2] == 0:
        return q
    if q[2] == 0:
        return p
    z1z1, z2z2 = p[2] * p[2] % _P, q[2] * q[2] % _P
    u1, u2 = p[0] * z2z2 % _P, q[0] * z1z1 % _P
    s1, s2 = p[1] * q[2] * z2z2 % _P, q[1] * p[2] * z1z1 % _P
    if u1 == u2:
        return _double(p) if s1 == s2 else (0, 1, 0)
    h, r = (u2 - u1) % _P, (s2 - s1) % _P
    hh = h * h % _P
    hhh = h * hh % _P
    v = u1 * hh % _P
    x3 = (r * r - hhh - 2 * v) % _P
    return (x3, (r * (v - x3) - s1 * hhh) % _P, h * p[2] * q[2] % _P)


def _multiply(k: int, point: tuple[int, int]) -> tuple[int, int, int]:
    result, addend = (0, 1, 0), (point[0], point[1], 1)
    while k:
        if k & 1:
            result = _add(result, addend)
        addend = _double(addend)
        k >>= 1
    return result


def _on_curve(x: int, y: int) -> bool:
    return 0 <= x < _P and 0 <= y < _P and (y * y - (x * x * x + _A * x + _B)) % _P == 0


def ecdsa_p256_verify(public_point: tuple[int, int], message: bytes, signature: bytes) -> bool:
    """Verifies an ECDSA P-256/SHA-256 signature given as r‖s (64 bytes) over ``message``."""
    if len(signature) != 64 or not _on_curve(*public_point):
        return False
    r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    if not (1 <= r < _N and 1 <= s < _N):
        return False
    e = int.from_bytes(hashlib.sha256(message).digest(), "big")
    w = pow(s, -1, _N)
    point = _add(_multiply(e * w % _N, _G), _multiply(r * w % _N, public_point))
    if point[2] == 0:
        return False
    x = point[0] * pow(point[2] * point[2] % _P, -1, _P) % _P
    return x % _N == r


# -- keys ------------------------------------------------------------------------------------------------------------

_SPKI_P256_PREFIX = bytes.fromhex("3059301306072a8648ce3d020106082a8648ce3d030107034200")


def key_id(spki: bytes) -> str:
    """The portal's key id: the first 16 hex digits of SHA-256 over the SubjectPublicKeyInfo."""
    return hashlib.sha256(spki).hexdigest()[:16]


def _point(spki: bytes) -> tuple[int, int]:
    if len(spki) != 91 or not spki.startswith(_SPKI_P256_PREFIX) or spki[26] != 4:
        raise ValueError("not an uncompressed P-256 public key (SubjectPublicKeyInfo)")
    return int.from_bytes(spki[27:59], "big"), int.from_bytes(spki[59:91], "big")


def parse_public_keys(text: str) -> dict[str, bytes]:
    """Key id → SubjectPublicKeyInfo from the portal's well-known JSON, a PEM ``PUBLIC KEY`` or base64 SPKI."""
    text = text.strip()
    if text.startswith("{"):
        return {k["keyId"]: base64.b64decode(k["publicKey"]) for k in json.loads(text)["keys"]}
    if "-----BEGIN" in text:
        text = "".join(line for line in text.splitlines() if line and not line.startswith("-----"))
    spki = base64.b64decode(text)
    return {key_id(spki): spki}


# -- the pack --------------------------------------------------------------------------------------------------------

def audit_record_hash(r: dict[str, Any]) -> str:
    """The hash the portal's audit chain gives a record (the same fields, order and separator)."""
    fields = [r["previousHash"], str(r["sequence"]), r.get("projectId") or "", r.get("actorId") or "", r["action"], r["targetType"],
              r["targetId"], r.get("before") or "", r.get("after") or "", r["at"]]
    return hashlib.sha256("\x1f".join(fields).encode("utf-8")).hexdigest()


def verify_evidence(path: str, public_key: Optional[Union[str, bytes]] = None) -> Verdict:
    """Checks the evidence pack at ``path``. ``public_key`` pins the portal's keys: the text of its
    ``/.well-known/portal-evidence-keys.json``, a PEM public key or base64 SPKI (str), or SPKI bytes; without it the key
    inside the pack is used. Returns a :class:`Verdict` with one :class:`Claim` per check."""
    try:
        with zipfile.ZipFile(path) as archive:
            files = {name: archive.read(name) for name in archive.namelist() if not name.endswith("/")}
    except zipfile.BadZipFile as error:
        return Verdict([Claim("pack", False, f"The file is not a readable zip: {error}")])
    keys = None
    if isinstance(public_key, bytes):
        keys = {key_id(public_key): public_key}
    elif isinstance(public_key, str):
        keys = parse_public_keys(public_key)
    claims = [_signature(files, keys), _checksums(files)]
    try:
        evidence = json.loads(files[EVIDENCE]) if EVIDENCE in files else None
        audit = json.loads(files[AUDIT]) if AUDIT in files else None
    except ValueError as error:
        claims.append(Claim("documents", False, f"evidence.json or audit.json is not valid: {error}"))
        return Verdict(claims)
    if audit is None:
        claims.append(Claim("audit.records", False, "The pack has no audit.json."))
    else:
        claims.extend(_audit(audit))
    if evidence is None:
        claims.append(Claim("evidence", False, "The pack has no evidence.json."))
        return Verdict(claims)
    for version in evidence["versions"]:
        if not version.get("redacted") and version.get("manifest"):
            claims.append(_manifest(files, version))
    if audit is not None:
        claims.append(_approvals(evidence, audit))
    return Verdict(claims)


def _signature(files: dict[str, bytes], keys: Optional[dict[str, bytes]]) -> Claim:
    name = "signature"
    if SIGNATURE not in files or CHECKSUMS not in files:
        return Claim(name, False, "The pack has no signature.json or no checksums.sha256.")
    signature = json.loads(files[SIGNATURE])
    checksums = files[CHECKSUMS]
    if signature.get("algorithm") != ALGORITHM:
        return Claim(name, False, f"The signature's algorithm is not {ALGORITHM}.")
    if signature.get("format") != FORMAT or signature.get("signedFile") != CHECKSUMS:
        return Claim(name, False, f"signature.json is not a {FORMAT} signature over {CHECKSUMS}.")
    digest = hashlib.sha256(checksums).hexdigest()
    if digest != signature["signedDigest"]:
        return Claim(name, False, f"checksums.sha256 hashes to {digest}, not to the signed digest {signature['signedDigest']}: it changed after signing.")
    if keys is None:
        spki, source = base64.b64decode(signature["publicKey"]), "the key embedded in the pack (pin the portal's key to trust it)"
    elif signature["keyId"] in keys:
        spki, source = keys[signature["keyId"]], "the given public key"
    else:
        return Claim(name, False, f"The pack was signed with key {signature['keyId']}, which is not among the given public keys ({', '.join(keys)}).")
    if key_id(spki) != signature["keyId"]:
        return Claim(name, False, f"The public key does not have the signature's key id {signature['keyId']}.")
    try:
        valid = ecdsa_p256_verify(_point(spki), checksums, base64.b64decode(signature["signature"]))
    except ValueError as error:
        return Claim(name, False, f"The signature or public key cannot be read: {error}")
    if not valid:
        return Claim(name, False, f"The signature does not verify with key {signature['keyId']}: the signature was replaced or the checksums changed.")
    return Claim(name, True, f"Signed by key {signature['keyId']}; checked with {source}.")


def _checksums(files: dict[str, bytes]) -> Claim:
    name = "checksums"
    if CHECKSUMS not in files:
        return Claim(name, False, "The pack has no checksums.sha256.")
    listed: dict[str, str] = {}
    for line in files[CHECKSUMS].decode("utf-8").split("\n"):
        if line:
            if line[64:66] != "  ":
                return Claim(name, False, f'checksums.sha256 has a line that is not "<sha256>  <file>": {line}')
            listed[line[66:]] = line[:64]
    problems = []
    for file in sorted(files):
        if file in (CHECKSUMS, SIGNATURE):
            continue
        expected = listed.pop(file, None)
        if expected is None:
            problems.append(f"{file} is not listed")
        elif expected != hashlib.sha256(files[file]).hexdigest():
            problems.append(f"{file} was changed")
    problems.extend(f"{file} is missing" for file in listed)
    if problems:
        return Claim(name, False, "; ".join(problems[:10]) + ".")
    return Claim(name, True, f"{len(files) - 2} files match their SHA-256.")


def _audit(audit: dict[str, Any]) -> list[Claim]:
    records = sorted(audit["records"], key=lambda r: r["sequence"])
    problems = []
    for i, r in enumerate(records):
        if audit_record_hash(r) != r["hash"]:
            problems.append(f"record {r['sequence']} ({r['action']}) does not match its hash: its content was changed")
        if i > 0 and records[i - 1]["sequence"] == r["sequence"] - 1 and records[i - 1]["hash"] != r["previousHash"]:
            problems.append(f"record {r['sequence']} does not link to record {r['sequence'] - 1}")
    claims = [Claim("audit.records", False, "; ".join(problems[:10]) + ".") if problems
              else Claim("audit.records", True, f"{len(records)} audit records match their hashes; consecutive records link.")]
    head = audit["chainHead"]
    last = records[-1] if records else None
    if last is not None and last["sequence"] > head["sequence"]:
        claims.append(Claim("audit.head", False, f"Record {last['sequence']} is beyond the chain head {head['sequence']} recorded at export."))
    elif last is not None and last["sequence"] == head["sequence"] and last["hash"] != head["hash"]:
        claims.append(Claim("audit.head", False, f"Record {last['sequence']} is the chain head but its hash differs from the head's."))
    else:
        claims.append(Claim("audit.head", True, f"Chain head at export: record {head['sequence']}, {head['hash']}."))
    return claims


def _manifest(files: dict[str, bytes], version: dict[str, Any]) -> Claim:
    name = f"manifest:{version.get('artifact')}:{version.get('version')}"
    data = files.get(version["manifest"])
    if data is None:
        return Claim(name, False, f"{version['manifest']} is missing.")
    entries = []
    for number, line in enumerate(data.decode("utf-8").split("\n"), start=1):
        if line.strip():
            try:
                item = json.loads(line)
                entries.append(ManifestEntry(item["path"], item["digest"], int(item["size"]), item.get("ref")))
            except (ValueError, KeyError) as error:
                return Claim(name, False, f"{version['manifest']} line {number} cannot be read: {error}")
    digest = manifest_digest(entries)
    if digest != version["manifestDigest"]:
        return Claim(name, False, f"{version['manifest']} hashes to {digest}, not to the recorded manifest digest {version['manifestDigest']}: a line was changed, added or removed.")
    if len(entries) != version["fileCount"]:
        return Claim(name, False, f"{version['manifest']} lists {len(entries)} files; the version records {version['fileCount']}.")
    return Claim(name, True, f"{len(entries)} files hash to the manifest digest {digest}.")


def _approvals(evidence: dict[str, Any], audit: dict[str, Any]) -> Claim:
    recorded: dict[str, list[str]] = {}
    for r in audit["records"]:
        if r["action"] == "promotion.approved":
            recorded.setdefault(r["targetId"], []).append(r.get("actorId") or "")
    problems, count = [], 0
    for promotion in evidence["promotions"]:
        actors = recorded.pop(promotion["id"], [])
        for approval in promotion["approvals"]:
            count += 1
            if approval["userId"] in actors:
                actors.remove(approval["userId"])
            else:
                problems.append(f"promotion {promotion['id']} lists an approval by {approval['user']} that no audit record backs")
        problems.extend(f"promotion {promotion['id']} of {promotion['artifact']}:{promotion['alias']} lacks the approval by user {a} that the audit log records" for a in actors)
    problems.extend(f"the audit log records approvals of promotion {p}, which the pack does not list" for p in recorded)
    if problems:
        return Claim("approvals", False, "; ".join(problems[:10]) + ".")
    return Claim("approvals", True, f"{count} approvals of {len(evidence['promotions'])} promotions are backed by audit records.")


__all__: Sequence[str] = ["Claim", "Verdict", "verify_evidence", "parse_public_keys", "key_id", "audit_record_hash", "ecdsa_p256_verify"]
