"""cliproxyctl.wizard.prompts: questionary driven through a prompt_toolkit pipe."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.input.base import PipeInput
from prompt_toolkit.output import DummyOutput

from cliproxyctl.wizard.prompts import Cancelled, QuestionaryPrompter

DOWN = "\x1b[B"
ENTER = "\r"
CTRL_C = "\x03"
CTRL_U = "\x15"


@pytest.fixture
def pipe() -> Iterator[PipeInput]:
    with create_pipe_input() as pipe:
        yield pipe


def prompter(pipe: PipeInput) -> QuestionaryPrompter:
    return QuestionaryPrompter(input=pipe, output=DummyOutput())


def test_text_starts_from_the_default_and_validates(pipe: PipeInput) -> None:
    pipe.send_text(ENTER)
    assert prompter(pipe).text("Port", default="8317") == "8317"
    # "x" is refused by the validator, so the prompt stays until the text is fixed.
    pipe.send_text(CTRL_U + "x" + ENTER + CTRL_U + "9000" + ENTER)
    check = lambda text: None if text.isdigit() else "digits"  # noqa: E731
    assert prompter(pipe).text("Port", default="8317", validate=check) == "9000"


def test_secret_select_checkbox_and_confirm(pipe: PipeInput) -> None:
    ask = prompter(pipe)
    pipe.send_text("s3cret" + ENTER)
    assert ask.secret("Key") == "s3cret"
    pipe.send_text(DOWN + ENTER)
    assert ask.select("Pick", [("a", "A"), ("b", "B"), ("c", "C")], default="b") == "c"
    pipe.send_text(" " + DOWN + DOWN + " " + ENTER)
    assert ask.checkbox("Some", [("a", "A"), ("b", "B"), ("c", "C")]) == ["a", "c"]
    pipe.send_text("n")
    assert ask.confirm("Sure?", default=True) is False
    pipe.send_text(ENTER)
    assert ask.confirm("Sure?", default=True) is True


def test_ctrl_c_anywhere_is_cancelled(pipe: PipeInput) -> None:
    pipe.send_text(CTRL_C)
    with pytest.raises(Cancelled):
        prompter(pipe).text("Host")
    pipe.send_text(CTRL_C)
    with pytest.raises(Cancelled):
        prompter(pipe).select("Pick", [("a", "A")])
