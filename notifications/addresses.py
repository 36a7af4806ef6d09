"""How a person can be reached: e-mail addresses and Chinese mobile numbers.

Checked by maintained libraries (email-validator, the one pydantic's ``EmailStr`` uses,
and phonenumbers), and stored in one canonical form, so that the same address is always
spelled the same way whatever the keyboard typed (full-width digits, spaces, +86).
"""

from __future__ import annotations


class BadAddress(ValueError):
    """The message says what is wrong, in the user's language."""


def canonical_email(value: str) -> str:
    """One plain address: no display name, no list, no encoded words, no line breaks."""
    import email_validator  # here, not at the top: reading commands never need it

    if any(c in value for c in ",;\r\n") or "=?" in value:
        raise BadAddress("电子邮箱须是一个地址，不能含逗号、分号、换行或编码字")
    try:
        checked = email_validator.validate_email(value.strip(), check_deliverability=False)
    except email_validator.EmailNotValidError as err:
        raise BadAddress(f"电子邮箱格式不正确（{err}）") from None
    return str(checked.normalized)


def canonical_mobile(value: str) -> str:
    """A mainland China mobile number as its 11 digits (+86, spaces and dashes dropped)."""
    import unicodedata

    import phonenumbers  # here, not at the top: reading commands never need it

    value = unicodedata.normalize("NFKC", value)  # full-width digits (１３８…) and ＋ as typed on a phone
    try:
        number = phonenumbers.parse(value, "CN")
    except phonenumbers.NumberParseException:
        raise BadAddress("手机号格式不正确：须为中国大陆手机号，如 13899990001") from None
    mobile = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)
    if (number.country_code != 86 or not phonenumbers.is_valid_number(number)
            or phonenumbers.number_type(number) not in mobile):
        raise BadAddress("手机号格式不正确：须为中国大陆手机号，如 13899990001")
    return str(number.national_number)


def stored_form(channel: str, value: str) -> bool:
    """A cheap check, at sending, that an address still has the form it was stored in:
    every address is fully checked when written (import, ``operator add``, ``unit add``),
    so the relay only guards against a row changed by hand (a line break in a header)."""
    if channel == "sms":
        value = value.removeprefix("+86").removeprefix("0086")  # as stored before canonical forms
        return len(value) == 11 and value.isascii() and value.isdigit() and value[0] == "1"
    local, at, domain = value.partition("@")
    return bool(local and at and "." in domain) and value.isprintable() and not any(
        c in value for c in " ,;<>")


def is_email(value: str) -> bool:
    try:
        canonical_email(value)
    except BadAddress:
        return False
    return True


def is_mobile(value: str) -> bool:
    try:
        canonical_mobile(value)
    except BadAddress:
        return False
    return True


def masked(recipient: str) -> str:
    """An address as shown on a screen: 138****5678, z***@example.cn."""
    local, at, domain = recipient.partition("@")
    if at:
        return f"{local[:1]}***@{domain}"
    return f"{recipient[:3]}****{recipient[-4:]}" if len(recipient) >= 8 else "****"
