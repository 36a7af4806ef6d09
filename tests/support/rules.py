"""Cases brought along the process, and the rules a refusal names."""

from __future__ import annotations

import pytest

from states.refusals import Refused
from states.values import Event
from tests.support.helpers import bj
from tests.support.world import World


def rules_of(call: object) -> set[str]:
    with pytest.raises(Refused) as err:
        call()  # type: ignore[operator]
    return {r.rule for r in err.value.refusals}


def to_publicity(world: World, case: int) -> None:
    world.run(case, Event.SUBMIT, "clerk", bj(2024, 10, 9))
    world.run(case, Event.START_REVIEW, "reviewer", bj(2024, 10, 9))
    world.run(case, Event.APPROVE_ONLINE, "reviewer", bj(2024, 10, 9))
