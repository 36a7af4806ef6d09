"""Where messages go and how hard the relay tries: settings from CHUDING_* variables."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from notifications.errors import SettingsError

T = TypeVar("T", bound=BaseSettings)


def Seconds(default: float, low: float, high: float) -> Any:  # noqa: N802 - reads as a type
    """A number of seconds a service can keep: finite and within bounds (a negative wait
    spins, infinity overflows a timer, nan compares with nothing)."""
    return Field(default, ge=low, le=high, allow_inf_nan=False)


class NotificationSettings(BaseSettings):
    """Read from the environment (CHUDING_SMTP_HOST, ...); see README, "Notifications"."""

    model_config = SettingsConfigDict(env_prefix="CHUDING_", extra="ignore")

    # E-mail. With no SMTP host, each message is written as an .eml file into mail_dir.
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65_535)
    smtp_security: Literal["starttls", "tls", "none"] = "starttls"
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    # With security "none" a password would cross the network in clear: only if allowed.
    smtp_allow_plaintext_password: bool = False
    smtp_ca_file: Path | None = None  # a private CA to trust, else the system's
    smtp_timeout_seconds: float = Seconds(30, 0.01, 600)
    mail_from: str = "noreply@chuding.localhost"
    mail_from_name: str = "轮台县人社局"
    mail_dir: Path = Path("outbox-mail")

    # SMS. The provider: file (the default: each message a JSON line in sms_dir/sms.jsonl),
    # aliyun (Alibaba Cloud SMS), tencent (Tencent Cloud SMS) or http (a gateway of our
    # own shape at sms_url; chosen by itself when only sms_url is set).
    sms_provider: Literal["file", "aliyun", "tencent", "http"] | None = None
    sms_url: str | None = None
    sms_access_key: str | None = None  # Aliyun AccessKey ID, Tencent SecretId
    sms_secret: SecretStr | None = None  # Aliyun AccessKey secret, Tencent SecretKey
    sms_endpoint: str | None = None  # the provider's API host (only to reach another server)
    sms_endpoint_scheme: Literal["https", "http"] = "https"
    sms_region: str | None = None  # Tencent: ap-guangzhou by default; Aliyun: cn-hangzhou
    sms_sdk_app_id: str | None = None  # Tencent: the SmsSdkAppId of the application
    # Variables each kind's template takes, in the template's order (Tencent numbers them);
    # a kind not named takes name, case, deadline, phone.
    sms_template_params: dict[str, list[str]] = Field(default_factory=dict)
    sms_receipt_seconds: float = Seconds(300, 0.01, 86_400)  # how often the leader asks for delivery receipts
    sms_pause_seconds: float = Seconds(600, 0.01, 86_400)  # after the provider refuses our credentials
    sms_sign_name: str = "轮台县人社局"
    sms_template_codes: dict[str, str] = Field(default_factory=dict)  # kind -> approved code
    sms_variable_limit: int = Field(default=35, ge=1, le=1_000)  # characters per variable, as the providers allow
    sms_dir: Path = Path("outbox-sms")
    sms_timeout_seconds: float = Seconds(15, 0.01, 600)

    # The relay.
    relay_batch: int = Field(default=200, ge=1, le=10_000)
    relay_concurrency: int = Field(default=4, ge=1, le=64)
    relay_max_attempts: int = Field(default=8, ge=1, le=100)
    relay_backoff_seconds: float = Seconds(30, 0, 86_400)  # first retry; doubles each time
    relay_backoff_max_seconds: float = Seconds(3600, 0.01, 7 * 86_400)
    relay_lease_seconds: float = Seconds(300, 0.01, 86_400)  # a claimed row not marked by then is claimed again

    # Templates: a folder whose files override the built-in ones of the same name.
    template_dir: Path | None = None

    # The applicant's own page: with a public address, each e-mail about a case carries a
    # link to it, signed with link_secret (the same on every replica) and valid link_days.
    public_base_url: str | None = None
    link_secret: SecretStr | None = None
    link_days: int = Field(default=30, ge=1, le=366)

    @property
    def sms_channel(self) -> str:
        """The SMS provider in use: as chosen, else http when a gateway URL is set, else file."""
        return self.sms_provider or ("http" if self.sms_url else "file")

    @model_validator(mode="after")
    def _providers_need_credentials(self) -> NotificationSettings:
        channel = self.sms_channel
        if channel in ("aliyun", "tencent") and not (self.sms_access_key and self.sms_secret):
            raise ValueError("CHUDING_SMS_ACCESS_KEY and CHUDING_SMS_SECRET are needed for"
                             f" CHUDING_SMS_PROVIDER={channel}")
        if channel == "tencent" and not self.sms_sdk_app_id:
            raise ValueError("CHUDING_SMS_SDK_APP_ID (the SmsSdkAppId) is needed for CHUDING_SMS_PROVIDER=tencent")
        if channel == "http" and not self.sms_url:
            raise ValueError("CHUDING_SMS_URL is needed for CHUDING_SMS_PROVIDER=http")
        return self

    @model_validator(mode="after")
    def _links_need_a_secret(self) -> NotificationSettings:
        if self.public_base_url is not None:
            if not self.public_base_url.startswith(("https://", "http://")):
                raise ValueError("CHUDING_PUBLIC_BASE_URL must start with https:// (or http://)")
            if self.link_secret is None or len(self.link_secret.get_secret_value()) < 32:
                raise ValueError("CHUDING_LINK_SECRET of at least 32 characters is needed with CHUDING_PUBLIC_BASE_URL"
                                 " (the links' signatures; keep it the same on every replica)")
        return self

    @model_validator(mode="after")
    def _no_password_in_clear(self) -> NotificationSettings:
        if self.smtp_security == "none" and self.smtp_password and not self.smtp_allow_plaintext_password:
            raise ValueError(
                "CHUDING_SMTP_PASSWORD would be sent in clear with CHUDING_SMTP_SECURITY=none;"
                " use starttls or tls, or set CHUDING_SMTP_ALLOW_PLAINTEXT_PASSWORD=true")
        return self


def load_settings(kind: type[T] = NotificationSettings, **given: Any) -> T:  # type: ignore[assignment]
    """The settings from the environment (and ``given``), or a SettingsError naming every
    bad variable."""
    from pydantic_settings.exceptions import SettingsError as Unparsable

    try:
        return kind(**given)
    except Unparsable as err:  # a complex value that is not JSON
        field = str(err).split('"')[1] if '"' in str(err) else "settings"
        raise SettingsError([f"CHUDING_{field.upper()}: not valid JSON"]) from None
    except ValidationError as err:
        problems = []
        for e in err.errors():
            name = "CHUDING_" + "_".join(str(p) for p in e["loc"]).upper() if e["loc"] else "settings"
            message = str((e.get("ctx") or {}).get("error", e["msg"]))
            problems.append(f"{name}: {message}" + (f" (got {e['input']!r})" if e["loc"] else ""))
        raise SettingsError(problems) from None
