"""The process as Mermaid text, read off the one state machine."""

from __future__ import annotations

from states.machine import MACHINE
from states.process import EVENT_ROLES
from states.status import Status
from states.values import Event


def mermaid() -> str:
    lines = ["stateDiagram-v2"]
    lines += [f"    {s.value}: {s.value} {s.label}" for s in Status]
    lines.append(f"    [*] --> {Status.DRAFTED.value}: import")
    for name, event in MACHINE.events.items():
        roles = ", ".join(sorted(r.value for r in EVENT_ROLES[Event(name)]))
        for source, transitions in event.transitions.items():
            for transition in transitions:
                dest = transition.dest or source  # publicity steps keep the state
                lines.append(f"    {source} --> {dest}: {name} ({roles})")
    lines += [f"    {s.value} --> [*]" for s in Status if s.is_final]
    return "\n".join(lines)
