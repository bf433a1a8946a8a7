"""Polar's ids: ``Hashcodes.createID`` and the stash names of its exports.

``createID(obj, len)`` is the first ``len`` characters of
base58check(0x00 ‖ keccak256(JSON.stringify(obj)) ‖ checksum). Polar 2.x
exports name each document's file ``stash/<createID(key, 40)><suffix>``
where ``key`` is built as in ``FirebaseDatastores.computeStoragePath``
(see ``../shared/polar-format.md`` §1).
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any, Dict, List, Mapping

from .keccak import keccak256

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def base58(data: bytes) -> str:
    n = int.from_bytes(data, "big")
    out = []
    while n:
        n, rem = divmod(n, 58)
        out.append(_B58[rem])
    zeros = len(data) - len(data.lstrip(b"\x00"))
    return "1" * zeros + "".join(reversed(out))


def base58check(payload: bytes, version: bytes = b"\x00") -> str:
    body = version + payload
    checksum = hashlib.sha256(hashlib.sha256(body).digest()).digest()[:4]
    return base58(body + checksum)


def js_stringify(value: Any) -> str:
    """``JSON.stringify(value)``: compact, keys in insertion order, non-ASCII
    as is (Python escapes control characters the same way)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def create_id(obj: Any, length: int = 10) -> str:
    """Polar's ``Hashcodes.createID(obj, length)``."""
    digest = keccak256(js_stringify(obj).encode("utf-8", "surrogatepass"))
    return base58check(digest)[:length]


# FilePaths.toExtension: a lower-case extension at the end of the name
# (1-15 characters since 2020, 3-4 before).
_EXT_PATTERNS = (re.compile(r"\.([a-z0-9]{1,15})\Z"), re.compile(r"\.([a-z0-9]{3,4})\Z"))


def stash_names(uid: str, doc_info: Mapping[str, Any]) -> List[str]:
    """Archive member names a document's file may have in an export, most
    likely first. The exporter names it from ``{uid, filename}``; the
    storage key of documents with a hashcode is tried too (older exports,
    re-packed archives)."""
    filename = doc_info.get("filename")
    if not isinstance(filename, str) or not filename or not isinstance(uid, str):
        return []
    suffixes: List[str] = []
    for pattern in _EXT_PATTERNS:
        match = pattern.search(filename)
        suffix = "." + match.group(1) if match else ""
        if suffix not in suffixes:
            suffixes.append(suffix)
    names: List[str] = []
    for suffix in suffixes:
        keys: List[Dict[str, Any]] = [{"uid": uid, "filename": filename}]
        hashcode = doc_info.get("hashcode")
        if isinstance(hashcode, dict):
            key: Dict[str, Any] = {"uid": uid, "backend": "stash"}
            # JSON.stringify leaves out undefined members, keeps null ones.
            for part in ("alg", "enc", "data"):
                if part in hashcode:
                    key[part] = hashcode[part]
            key["suffix"] = suffix
            keys.append(key)
        for key in keys:
            name = f"stash/{create_id(key, 40)}{suffix}"
            if name not in names:
                names.append(name)
    return names
