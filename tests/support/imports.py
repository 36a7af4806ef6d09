"""What an import refused, as the tests read it."""

from __future__ import annotations

import pytest

from tests.support.helpers import bj
from tests.support.world import World
from workflow.errors import ImportRefused
from workflow.usecases.importer import import_applications


def refused(world: World, text: str) -> list[str]:
    with pytest.raises(ImportRefused) as err:
        import_applications(world.engine, text, "bad.json", "clerk", bj(2024, 9, 28))
    for table in ("application_case", "applicant", "unit", "material", "history"):
        assert world.count(table) == 0, table
    return [str(p) for p in err.value.problems]
