"""Rendering a message from its kind's template: subject, plain text, HTML and SMS.

Each kind is one file in ``templates/kinds`` with three blocks (subject, body, sms);
the layouts add the greeting and the bureau's contact. Undefined variables are errors
(StrictUndefined) and HTML is autoescaped. A folder named by CHUDING_TEMPLATE_DIR
overrides any built-in file of the same name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from states import idnumber

TEMPLATES = Path(__file__).parent / "templates"
KINDS = sorted(p.stem for p in (TEMPLATES / "kinds").glob("*.j2"))
# 18-character ID numbers must never appear in a message: context holds masked ones.
FULL_ID = idnumber.IN_TEXT


class UnmaskedIdNumber(ValueError):
    pass


@dataclass(frozen=True)
class Email:
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class Rendered(Email):
    sms: str  # the SMS text with the signature, as the phone shows it


def refuse_full_ids(kind: str, *parts: str) -> None:
    """A full ID number in any part of a message (text or template variable) stops it."""
    if any(FULL_ID.search(part) for part in parts):
        raise UnmaskedIdNumber(f"message {kind} would show a full ID number; refusing to send")


LIST_ITEM = re.compile(r"^(?:(\d+)[.、]|[-•])\s*(.*)$")


def html_blocks(body: str) -> list[tuple[str, Any]]:
    """The plain body as HTML blocks: paragraphs, and numbered or bulleted lines as lists
    (("p", text), ("ol", items), ("ul", items)), so a checklist reads as one."""
    blocks: list[tuple[str, Any]] = []
    for paragraph in (p.strip() for p in body.split("\n\n")):
        lines: list[str] = []
        for line in (x.strip() for x in paragraph.splitlines() if x.strip()):
            item = LIST_ITEM.match(line)
            if item is None:
                lines.append(line)
                continue
            if lines:
                blocks.append(("p", "\n".join(lines)))
                lines = []
            kind = "ol" if item.group(1) else "ul"
            if not blocks or blocks[-1][0] != kind:
                blocks.append((kind, []))
            blocks[-1][1].append(item.group(2))
        if lines:
            blocks.append(("p", "\n".join(lines)))
    return blocks


class Renderer:
    def __init__(self, override_dir: Path | None = None):
        loaders: list[jinja2.BaseLoader] = [jinja2.FileSystemLoader(str(TEMPLATES))]
        if override_dir is not None:
            loaders.insert(0, jinja2.FileSystemLoader(str(override_dir)))
        # auto_reload off: templates do not change under a running relay, and the stat per
        # message costs more than the rendering.
        common: dict[str, Any] = {
            "loader": jinja2.ChoiceLoader(loaders), "undefined": jinja2.StrictUndefined, "auto_reload": False,
        }
        self.text_env = jinja2.Environment(autoescape=False, **common)  # noqa: S701 - plain text
        self.html_env = jinja2.Environment(autoescape=True, **common)

    @staticmethod
    def _addressed(context: dict[str, Any]) -> dict[str, Any]:
        """A message greets its recipient by name unless it says otherwise (a unit, a reviewer)."""
        return context if "greeting" in context else {**context, "greeting": context.get("name", "")}

    def _block(self, kind: str, block: str, context: dict[str, Any]) -> str:
        template = self.text_env.get_template(f"kinds/{kind}.j2")
        return "".join(template.blocks[block](template.new_context(context, shared=True))).strip()

    @staticmethod
    def _page(template: jinja2.Template, context: dict[str, Any]) -> str:
        """Jinja's low-level API with the context shared, not copied: the relay renders
        thousands of messages, and the templates use no globals."""
        return "".join(template.root_render_func(template.new_context(context, shared=True)))

    def email(self, kind: str, context: dict[str, Any]) -> Email:
        context = self._addressed(context)
        subject = self._block(kind, "subject", context)
        body = self._block(kind, "body", context)
        page = {**context, "subject": subject, "body": body}
        email = Email(
            subject=subject,
            text=self._page(self.text_env.get_template("email.txt.j2"), page).strip() + "\n",
            html=self._page(self.html_env.get_template("email.html.j2"), {**page, "blocks": html_blocks(body)}),
        )
        refuse_full_ids(kind, email.subject, email.text, email.html)
        return email

    def sms(self, kind: str, context: dict[str, Any], sign_name: str) -> str:
        context = self._addressed(context)
        text = self._block(kind, "sms", context)
        page = {**context, "sms": text, "sign_name": sign_name}
        sms = self._page(self.text_env.get_template("sms.txt.j2"), page).strip()
        refuse_full_ids(kind, sms)
        return sms

    def render(self, kind: str, context: dict[str, Any], sign_name: str) -> Rendered:
        """Every part at once: for previews and checks."""
        email = self.email(kind, context)
        return Rendered(email.subject, email.text, email.html, self.sms(kind, context, sign_name))
