"""Give moto 5.2.5's KMS ``Sign``/``Verify`` AWS's meaning of ``MessageType=DIGEST`` for ECDSA keys.

AWS signs a DIGEST message as the hash itself (https://docs.aws.amazon.com/kms/latest/APIReference/
API_Sign.html: "the message digest ... KMS skips the hashing step"); moto ignores ``MessageType``
("DIGEST is not yet implemented") and hashes the digest again, so its signatures would not verify
with the public key the way AWS's do. While a DIGEST request is handled, the ECDSA key signs and
verifies the given bytes as a precomputed hash (``Prehashed``). RAW requests are untouched.
"""

from __future__ import annotations

import threading
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, utils
from moto.kms.responses import KmsResponse
from moto.kms.utils import ECDSAPrivateKey, SigningAlgorithm, validate_signing_algorithm

_ORIGINAL: dict[str, Any] = {"sign": KmsResponse.sign, "verify": KmsResponse.verify}
_ORIGINAL_KEY: dict[str, Any] = {"sign": ECDSAPrivateKey.sign, "verify": ECDSAPrivateKey.verify}
_DIGEST = threading.local()  # moto's server handles each request on one thread
_HASHES: dict[str, type[hashes.SHA256 | hashes.SHA384 | hashes.SHA512]] = {
    SigningAlgorithm.ECDSA_SHA_256.value: hashes.SHA256,
    SigningAlgorithm.ECDSA_SHA_384.value: hashes.SHA384,
    SigningAlgorithm.ECDSA_SHA_512.value: hashes.SHA512,
}


def _digest_mode(name: str) -> Any:
    def handler(self: KmsResponse) -> str:
        _DIGEST.active = self._get_param("MessageType") == "DIGEST"
        try:
            return _ORIGINAL[name](self)
        finally:
            _DIGEST.active = False

    return handler


def _algorithm(key: ECDSAPrivateKey, signing_algorithm: str) -> ec.ECDSA:
    validate_signing_algorithm(signing_algorithm, key.valid_signing_algorithms)
    return ec.ECDSA(utils.Prehashed(_HASHES[signing_algorithm]()))


def _sign(self: ECDSAPrivateKey, message: bytes, signing_algorithm: str) -> bytes:
    if not getattr(_DIGEST, "active", False):
        return _ORIGINAL_KEY["sign"](self, message, signing_algorithm)
    return self.private_key.sign(message, _algorithm(self, signing_algorithm))


def _verify(self: ECDSAPrivateKey, message: bytes, signature: bytes, signing_algorithm: str) -> bool:
    if not getattr(_DIGEST, "active", False):
        return _ORIGINAL_KEY["verify"](self, message, signature, signing_algorithm)
    try:
        self.private_key.public_key().verify(signature, message, _algorithm(self, signing_algorithm))
    except InvalidSignature:
        return False
    return True


def apply() -> None:
    """Patch once, before moto's server starts handling requests."""
    KmsResponse.sign = _digest_mode("sign")  # type: ignore[method-assign]
    KmsResponse.verify = _digest_mode("verify")  # type: ignore[method-assign]
    ECDSAPrivateKey.sign = _sign  # type: ignore[method-assign]
    ECDSAPrivateKey.verify = _verify  # type: ignore[method-assign]
