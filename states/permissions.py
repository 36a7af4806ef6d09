"""Who may do what: every event (from the process table) and the bureau's other acts, in
one table that the use cases enforce and the pages ask before offering a link or a form."""

from __future__ import annotations

from enum import StrEnum

from states.process import EVENT_ROLES
from states.values import Event, Role


class Act(StrEnum):
    """What staff do besides the events of a case."""

    IMPORT = "import"  # import applications; get the import workbook
    UPLOAD = "upload"  # the applicant's files, on their behalf
    POST_PUBLICITY = "post_publicity"  # the unit's scans of the 公示 and 公示结果 it posted
    KEEP_OUTBOX = "keep_outbox"  # read the messages; send dead ones again
    ADMINISTER = "administer"  # operators, units, login pauses, full ID numbers


ACT_ROLES: dict[Act, frozenset[Role]] = {
    Act.IMPORT: frozenset({Role.APPLICANT_CLERK, Role.ADMINISTRATOR}),
    Act.UPLOAD: frozenset({Role.APPLICANT_CLERK, Role.ADMINISTRATOR}),
    Act.POST_PUBLICITY: EVENT_ROLES[Event.CLOSE_PUBLICITY] | {Role.ADMINISTRATOR},
    Act.KEEP_OUTBOX: frozenset({Role.COUNTY_CLERK, Role.ADMINISTRATOR}),
    Act.ADMINISTER: frozenset({Role.ADMINISTRATOR}),
}


def roles_for(what: Event | Act) -> frozenset[Role]:
    return ACT_ROLES[what] if isinstance(what, Act) else EVENT_ROLES[what]


def may(role: Role, what: Event | Act | str) -> bool:
    """Whether ``role`` may do ``what`` (an event or an act, or either's code)."""
    if isinstance(what, str) and not isinstance(what, Event | Act):
        what = Act(what) if what in Act.__members__.values() else Event(what)
    return role in roles_for(what)
