"""The 评审表's verification code: derived with the campaign's own key from the case and
its latest online approval, so that the code printed on a form tells, at the paper
desk, whether it is that case's current form. A case returned and approved again has a
new approval, hence a new code: a form printed before it no longer passes."""

from __future__ import annotations

import hashlib
import hmac

# Letters and digits people do not mistake for one another (no I, L, O, U, 0, 1).
ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"
LENGTH = 8  # about 39 bits: guessing one is hopeless at a paper desk


def form_code(key: str, case_id: int, approval: int) -> str:
    """``XXXX-XXXX`` for the case's approval (the approval's history row)."""
    digest = int.from_bytes(hmac.new(key.encode(), f"review-form:{case_id}:{approval}".encode(),
                                     hashlib.sha256).digest()[:8], "big")
    chars = []
    for _ in range(LENGTH):
        digest, index = divmod(digest, len(ALPHABET))
        chars.append(ALPHABET[index])
    return "".join(chars[:4]) + "-" + "".join(chars[4:])
