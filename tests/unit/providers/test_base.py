from __future__ import annotations

from daemon.providers.base import Credential, UpstreamRequest


def test_reprs_never_show_the_key_or_the_body() -> None:
    credential = Credential(
        id="claude-api-key[0]",
        family="claude",
        api_key="sk-ant-secret-value-1234",
        base_url="https://example.invalid",
        headers={"authorization": "Bearer hidden-token"},
    )
    request = UpstreamRequest(
        "POST",
        "https://example.invalid/v1",
        {"x-api-key": "sk-ant-secret-value-1234"},
        b'{"secret": true}',
        stream=False,
    )
    for text in (repr(credential), repr(request)):
        assert "sk-ant-secret-value-1234" not in text
        assert "hidden-token" not in text
    assert "claude-api-key[0]" in repr(credential)
