"""The states a case can be in, in the order of the process."""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    DRAFTED = "drafted"
    SUBMITTED = "submitted"
    ONLINE_REVIEW = "online_review"
    RETURNED = "returned"
    UNIT_PUBLICITY = "unit_publicity"
    PAPER_RECEIVED = "paper_received"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"
    REVOKED = "revoked"

    @property
    def label(self) -> str:
        return LABELS[self]

    @property
    def is_final(self) -> bool:
        return self in FINAL


LABELS = {
    Status.DRAFTED: "草稿",
    Status.SUBMITTED: "已提交",
    Status.ONLINE_REVIEW: "网上审核中",
    Status.RETURNED: "退回修改",
    Status.UNIT_PUBLICITY: "单位公示",
    Status.PAPER_RECEIVED: "纸质材料已受理",
    Status.CONFIRMED: "已确认",
    Status.REJECTED: "不予确认",
    Status.WITHDRAWN: "已撤回",
    Status.EXPIRED: "逾期",
    Status.REVOKED: "资格已取消",
}

# Confirmed ends the process but can still be revoked for fraud.
FINAL = frozenset(
    {Status.CONFIRMED, Status.REJECTED, Status.WITHDRAWN, Status.EXPIRED, Status.REVOKED}
)
