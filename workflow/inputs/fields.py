"""The checks every front door applies to what people type: one place, one wording.

ID numbers by python-stdnum (GB 11643: check character and birth date), contacts by
email-validator and phonenumbers, and plain text for control characters and length.
"""

from __future__ import annotations

import re

from notifications.addresses import BadAddress, canonical_email, canonical_mobile
from states.refusals import Refusal
from states.text import control_character


def text_problem(value: str, max_length: int, multiline: bool = False) -> str | None:
    """Why ``value`` cannot be stored as a text of at most ``max_length`` characters."""
    found = control_character(value, multiline)
    if found:
        return f"不能含控制字符或不可见的格式字符（{found}）"
    if len(value) > max_length:
        return f"最多 {max_length} 个字符，实有 {len(value)} 个"
    return None


# Logins and the codes of units and campaigns appear in addresses, file names and the
# audit: a safe alphabet, so that none of them can be a path or markup.
SAFE_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def code_problem(value: str) -> str | None:
    """Why ``value`` cannot be a login or a code, or None."""
    if SAFE_CODE.fullmatch(value) is None:
        return "只能由英文字母、数字和 . _ - 组成，以字母或数字开头，最多 64 个字符"
    return None


def safe_code(value: str) -> str:
    """``value`` as a code, or ValueError saying why not (a pydantic validator)."""
    problem = code_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


def canonical_id_number(value: str) -> str:
    """The canonical 18-character form; ValueError with the reason when it is not valid."""
    from stdnum import exceptions
    from stdnum.cn import ric

    try:
        return str(ric.validate(value.strip()))
    except exceptions.InvalidLength:
        raise ValueError("居民身份证号码须为 18 位：17 位数字加 1 位数字或 X") from None
    except exceptions.InvalidChecksum:
        raise ValueError("居民身份证号码校验位不对") from None
    except exceptions.InvalidComponent:
        raise ValueError("居民身份证号码中的出生日期不是真实日期") from None
    except exceptions.ValidationError:
        raise ValueError("居民身份证号码无效") from None


def contact_refusals(rule: str, email: str | None, phone: str | None
                     ) -> tuple[str | None, str | None, list[Refusal]]:
    """Canonical e-mail and mobile, and a refusal for each that is not one."""
    problems = []
    if email:
        try:
            email = canonical_email(email)
        except BadAddress as err:
            problems.append(Refusal(f"{rule}.email", str(err), "email"))
    if phone:
        try:
            phone = canonical_mobile(phone)
        except BadAddress as err:
            problems.append(Refusal(f"{rule}.phone", str(err), "phone"))
    return email or None, phone or None, problems


def text_refusals(rule: str, **fields: tuple[str, int]) -> list[Refusal]:
    """A refusal per field whose text holds a control character or is too long."""
    found = []
    for name, (value, limit) in fields.items():
        problem = text_problem(value, limit)
        if problem:
            found.append(Refusal(f"{rule}.{name}", f"{name}: {problem}", name))
    return found
