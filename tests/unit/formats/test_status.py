"""daemon.formats.status: HTTP status ⇄ canonical error kind."""

from __future__ import annotations

from typing import get_args

import pytest

from daemon.formats.status import STATUS_OF_KIND, kind_from_status
from daemon.model import ErrorKind


def test_every_kind_has_a_status() -> None:
    assert set(STATUS_OF_KIND) == set(get_args(ErrorKind))


@pytest.mark.parametrize(("kind", "status"), list(STATUS_OF_KIND.items()))
def test_each_kinds_own_status_maps_back_to_it(kind: ErrorKind, status: int) -> None:
    assert kind_from_status(status) == kind


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (529, "overloaded"),  # Anthropic's overloaded
        (408, "timeout"),
        (402, "permission"),  # payment required: the account cannot do this
        (405, "invalid_request"),
        (409, "invalid_request"),
        (422, "invalid_request"),
        (499, "invalid_request"),
        (501, "server_error"),
        (520, "server_error"),
        (599, "server_error"),
        (0, "server_error"),  # no response at all
        (200, "server_error"),  # a success status is not an error kind we know
        (302, "server_error"),
    ],
)
def test_other_statuses_get_the_nearest_kind(status: int, kind: ErrorKind) -> None:
    assert kind_from_status(status) == kind
