"""The questions the wizard can ask, behind a small interface so the flow is testable.

`QuestionaryPrompter` asks on the terminal; Ctrl+C (or Ctrl+D) in any prompt raises
`Cancelled`, so the caller can stop before anything is written.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

Validator = Callable[[str], "str | None"]  # an error message, or None when the text is fine
Choice = tuple[str, str]  # (value, title shown)


class Cancelled(Exception):
    """The user interrupted the wizard."""


class Prompter(Protocol):
    def text(
        self, message: str, *, default: str = "", validate: Validator | None = None
    ) -> str: ...

    def secret(self, message: str, *, validate: Validator | None = None) -> str: ...

    def select(
        self, message: str, choices: Sequence[Choice], *, default: str | None = None
    ) -> str: ...

    def checkbox(self, message: str, choices: Sequence[Choice]) -> list[str]: ...

    def confirm(self, message: str, *, default: bool) -> bool: ...


class QuestionaryPrompter:
    """Prompts through questionary; *input*/*output* are prompt_toolkit objects (for tests)."""

    def __init__(self, input: Any = None, output: Any = None) -> None:
        self._io: dict[str, Any] = {}
        if input is not None:
            self._io["input"] = input
        if output is not None:
            self._io["output"] = output

    def text(self, message: str, *, default: str = "", validate: Validator | None = None) -> str:
        import questionary

        question = questionary.text(
            message, default=default, validate=_adapt(validate), qmark="?", **self._io
        )
        return str(_ask(question))

    def secret(self, message: str, *, validate: Validator | None = None) -> str:
        import questionary

        question = questionary.password(message, validate=_adapt(validate), **self._io)
        return str(_ask(question))

    def select(self, message: str, choices: Sequence[Choice], *, default: str | None = None) -> str:
        import questionary

        options = [questionary.Choice(title, value=value) for value, title in choices]
        start = next((c for c in options if c.value == default), None)
        question = questionary.select(message, choices=options, default=start, **self._io)
        return str(_ask(question))

    def checkbox(self, message: str, choices: Sequence[Choice]) -> list[str]:
        import questionary

        options = [questionary.Choice(title, value=value) for value, title in choices]
        question = questionary.checkbox(
            message,
            choices=options,
            instruction="(space to select, enter to confirm)",
            **self._io,
        )
        picked = _ask(question)
        return [str(value) for value in picked]

    def confirm(self, message: str, *, default: bool) -> bool:
        import questionary

        return bool(_ask(questionary.confirm(message, default=default, **self._io)))


def _adapt(validate: Validator | None) -> Callable[[str], bool | str]:
    def check(text: str) -> bool | str:
        if validate is None:
            return True
        return validate(text) or True

    return check


def _ask(question: Any) -> Any:
    try:
        answer = question.unsafe_ask()
    except (KeyboardInterrupt, EOFError):
        raise Cancelled from None
    if answer is None:
        raise Cancelled
    return answer
