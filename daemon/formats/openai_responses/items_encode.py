"""Canonical messages and parts → Responses items, for a request (upstream) or a response (client).

Two modes, because the two sides want different things from signed reasoning:
- "request" (we talk to a Responses upstream): only reasoning this format signed is sent, as
  `encrypted_content`; reasoning signed by another upstream (or unsigned) is useless to it and is
  dropped with a debug log. Item ids are sent only when the client gave them (as Codex does).
- "response" (we answer a Responses client): every reasoning part becomes a reasoning item whose
  `encrypted_content` is `reasoning.opaque_for(part)`, the native value or the packed original,
  so that it comes back intact on the next turn. Every item gets an id (stable, derived).
`same` is true when the canonical data was decoded from this format: markers are honoured and
`extra` fields are written back.
"""

from __future__ import annotations

from typing import Any, Literal

from daemon.formats import policy, reasoning
from daemon.formats.openai_responses.common import (
    FMT,
    data_url,
    fail,
    marker,
    stable_id,
    wire_extra,
)
from daemon.model import (
    ImagePart,
    Message,
    Part,
    TextPart,
    ThinkingPart,
    Tool,
    ToolCallPart,
    ToolResultPart,
)

Mode = Literal["request", "response"]
NamespaceMap = dict[str, tuple[str, str]]


def namespace_map(tools: list[Tool]) -> NamespaceMap:
    """Flat canonical tool name → (namespace, name inside it), from decoded namespace tools."""
    found: NamespaceMap = {}
    for tool in tools:
        mark = marker(tool.extra)
        if isinstance(mark.get("ns"), str) and isinstance(mark.get("name"), str):
            found[tool.name] = (mark["ns"], mark["name"])
    return found


def encode_image(part: ImagePart, same: bool) -> dict[str, Any]:
    if part.url is not None:
        url = part.url
    elif part.data is not None:
        url = data_url(part.media_type, part.data)
    else:
        raise fail("image", "an image needs a url or data")
    out: dict[str, Any] = {"type": "input_image", "image_url": url}
    if part.detail is not None or not same:
        out["detail"] = part.detail or "auto"
    if same:
        out.update(wire_extra(part.extra))
    return out


def encode_input_part(part: Part, same: bool, assistant: bool = False) -> dict[str, Any]:
    if isinstance(part, ImagePart):
        return encode_image(part, same)
    if isinstance(part, TextPart):
        mark = marker(part.extra) if same else {}
        if mark.get("refusal"):
            out = {"type": "refusal", "refusal": part.text}
        else:
            default = "output_text" if assistant else "input_text"
            out = {"type": mark.get("ptype", default), "text": part.text}
        if same:
            out.update(wire_extra(part.extra))
        return out
    raise fail("input", f"a {type(part).__name__} cannot appear in a message's content")


def _with_opaque(content: list[dict[str, Any]], opaque: Any) -> list[Any]:
    """Put parts kept raw back at their original positions."""
    out: list[Any] = list(content)
    if isinstance(opaque, list):
        for pos, raw in opaque:
            out.insert(pos, raw)
    return out


def encode_message(message: Message, same: bool) -> dict[str, Any]:
    """A user / system / developer message item."""
    mark = marker(message.extra) if same else {}
    if message.name is not None and not same:
        policy.drop("message name", FMT, "Responses messages have no name")
    parts = [encode_input_part(p, same) for p in message.parts]
    content: Any
    if mark.get("string") and len(parts) == 1 and parts[0].get("type") == "input_text":
        content = parts[0]["text"]
    else:
        content = _with_opaque(parts, mark.get("opaque"))
    item: dict[str, Any] = {} if mark.get("no_type") else {"type": "message"}
    item.update({"role": message.role, "content": content})
    if same:
        item.update(wire_extra(message.extra))
    return item


def encode_tool_result(part: ToolResultPart, same: bool) -> dict[str, Any]:
    mark = marker(part.extra) if same else {}
    output: Any
    texts_only = all(isinstance(c, TextPart) for c in part.content)
    if (mark.get("string") or not same) and texts_only:
        output = "".join(c.text for c in part.content if isinstance(c, TextPart))
    else:
        output = _with_opaque(
            [encode_input_part(c, same) for c in part.content], mark.get("opaque")
        )
    if part.is_error and not same:
        policy.drop("tool result is_error", FMT, "function_call_output has no error flag")
    item: dict[str, Any] = {"type": "function_call_output", "call_id": part.call_id}
    item["output"] = output
    if same:
        item.update(wire_extra(part.extra))
    return item


# --------------------------------------------------------------------------- assistant output


class _Builder:
    """Walks assistant parts, grouping consecutive text into message items."""

    def __init__(self, mode: Mode, same: bool, ns: NamespaceMap, seed: str) -> None:
        self.mode, self.same, self.ns, self.seed = mode, same, ns, seed
        self.items: list[dict[str, Any]] = []
        self.message: dict[str, Any] | None = None

    def add(self, part: Part) -> None:
        if isinstance(part, TextPart):
            self._text(part)
            return
        self.message = None
        if isinstance(part, ThinkingPart):
            item = self._reasoning(part)
            if item is not None:
                self.items.append(item)
        elif isinstance(part, ToolCallPart):
            self.items.append(self._call(part))
        elif isinstance(part, ImagePart):
            policy.drop("assistant image", FMT, "Responses assistant turns hold no images")
        elif isinstance(part, ToolResultPart):
            self.items.append(encode_tool_result(part, self.same))

    def _text(self, part: TextPart) -> None:
        mark = marker(part.extra) if self.same else {}
        content = encode_input_part(part, self.same, assistant=True)
        if self.mode == "response" and content["type"] == "output_text" and not self.same:
            content.setdefault("annotations", [])
        if self.message is None or (self.same and "item" in mark):
            fields = mark.get("item")
            item: dict[str, Any] = {} if mark.get("no_type") else {"type": "message"}
            item["role"] = "assistant"
            if self.mode == "response":
                item["id"] = stable_id("msg_", self.seed, str(len(self.items)))
                item["status"] = "completed"
            item["content"] = []
            if isinstance(fields, dict):
                item.update(fields)
            self.items.append(item)
            self.message = item
            if mark.get("string"):
                item["content"] = part.text
                self.message = None
                return
        self.message["content"].append(content)

    def _call(self, part: ToolCallPart) -> dict[str, Any]:
        mark = marker(part.extra) if self.same else {}
        name, namespace = part.name, None
        if isinstance(mark.get("ns"), str) and isinstance(mark.get("name"), str):
            namespace, name = mark["ns"], mark["name"]
        elif part.name in self.ns:
            namespace, name = self.ns[part.name]
        item: dict[str, Any] = {"type": "function_call"}
        if self.mode == "response":
            item["id"] = stable_id("fc_", part.id)
            item["status"] = "completed"
        item.update({"call_id": part.id, "name": name, "arguments": part.arguments})
        if namespace is not None:
            item["namespace"] = namespace
        fields = mark.get("item")
        if isinstance(fields, dict):
            item.update(fields)
        return item

    def _reasoning(self, part: ThinkingPart) -> dict[str, Any] | None:
        mark = marker(part.extra) if self.same else {}
        native = part.signature is not None and part.signature.format == FMT
        if self.mode == "request":
            if part.signature is not None and not native:
                policy.drop("reasoning", FMT, "signed by another upstream; useless to this one")
                return None
            if part.signature is None and not self.same:
                policy.drop("reasoning", FMT, "unsigned reasoning cannot be replayed")
                return None
        encrypted = reasoning.opaque_for(part, FMT)
        item: dict[str, Any] = {"type": "reasoning"}
        if "id" in mark:
            item["id"] = mark["id"]
        elif part.id is not None:
            item["id"] = part.id
        elif self.mode == "response":
            item["id"] = stable_id("rs_", encrypted or "", part.text)
        if "summary" in mark:
            item["summary"] = mark["summary"]
        elif not mark:
            item["summary"] = [{"type": "summary_text", "text": part.text}] if part.text else []
        if "content" in mark:
            item["content"] = mark["content"]
        if encrypted is not None:
            item["encrypted_content"] = encrypted
        elif "encrypted_content" in mark:
            item["encrypted_content"] = mark["encrypted_content"]
        fields = mark.get("item")
        if isinstance(fields, dict):
            item.update(fields)
        return item


def assistant_items(
    parts: list[Part], mode: Mode, same: bool, ns: NamespaceMap, seed: str = ""
) -> list[dict[str, Any]]:
    builder = _Builder(mode, same, ns, seed)
    for part in reasoning.split_carriers(parts):
        builder.add(part)
    return builder.items


def encode_input(
    messages: list[Message], same: bool, ns: NamespaceMap
) -> tuple[str | None, list[dict[str, Any]]]:
    """(instructions, input items) for a request to a Responses upstream."""
    instructions: str | None = None
    start = 0
    if same:
        for i, message in enumerate(messages):
            if marker(message.extra).get("instructions"):
                instructions = "".join(p.text for p in message.parts if isinstance(p, TextPart))
                messages = messages[:i] + messages[i + 1 :]
                break
    else:
        texts: list[str] = []
        while start < len(messages) and messages[start].role == "system":
            parts = messages[start].parts
            if not all(isinstance(p, TextPart) for p in parts):
                break
            texts.append("".join(p.text for p in parts if isinstance(p, TextPart)))
            start += 1
        if texts:
            instructions = "\n\n".join(texts)
    items: list[dict[str, Any]] = []
    for message in messages[start:]:
        raw = marker(message.extra).get("raw") if same else None
        if isinstance(raw, dict):
            items.append(raw)
        elif message.role == "assistant":
            items.extend(assistant_items(message.parts, "request", same, ns))
        elif message.role == "tool":
            for part in message.parts:
                if isinstance(part, ToolResultPart):
                    items.append(encode_tool_result(part, same))
                else:
                    policy.drop("tool message content", FMT, "only tool results fit here")
        else:
            results = [p for p in message.parts if isinstance(p, ToolResultPart)]
            others: list[Part] = [p for p in message.parts if not isinstance(p, ToolResultPart)]
            items.extend(encode_tool_result(p, same) for p in results)
            if others or not results:
                items.append(
                    encode_message(Message(message.role, others, message.name, message.extra), same)
                )
    return instructions, items
