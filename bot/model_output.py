"""What a language model writes, made fit to show: reasoning, prompt echoes, markup and loops cut.

Local models misbehave in known ways (see FIELD-NOTES, "Real local model servers"): reasoning
models open with <think>…</think>; base models echo the prompt's format ("Question:",
<source id=…>) or a chat template's tokens ("[/INST]", "<start_of_turn>"); small models repeat
one sentence until the token limit, which then cuts the last sentence short.

    cleaned = clean_model_text(raw, finished=True)   # a whole reply
    stream = StreamFilter(on_token)                   # the same cuts on a reply as it streams
    stream.feed(delta)

`StreamFilter` forwards only text that the cleaning of the whole reply keeps, so a user
watching the stream never sees a reasoning block, an echo or markup; it asks the model to stop
(`stop_reason`) once an echo or a loop shows the rest is junk. The final, checked answer still
replaces what was streamed.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.citations import ends_with_citation
from bot.prompts import NOT_IN_SOURCES
from knowledge.text import fold

__all__ = ["Cleaned", "StopGeneration", "StreamFilter", "clean_model_text", "split_sentences"]


class StopGeneration(Exception):
    """Raised by a token callback to end a generation early; the text so far is kept."""


_THINK_OPEN = re.compile(r"<think(?:ing)?>", re.IGNORECASE)
_THINK_CLOSE = re.compile(r"</think(?:ing)?>", re.IGNORECASE)

# Where an echo of the prompt (bot/prompts.py) or of a chat template starts. Label words count
# only at the start of a line or after a space, so that "the question" is not an echo.
_ECHO_LABELS = (
    "Sources:",
    "Source:",
    "Question:",
    "Câu hỏi:",
    "Last question:",
    "Standalone question:",
    "User:",
    "Assistant:",
    "Người dùng:",
    "Answer in English",
    "Answer in Vietnamese",
    "If they do not contain the answer",
    NOT_IN_SOURCES,
)
_ECHO_TAGS = (
    r"</?sources?\b",
    r"</?conversation\b",
    r"<\|[a-z_]+\|>",  # <|im_start|>, <|eot_id|>, <|endoftext|> …
    r"<(?:start|end)_of_turn>",
    r"</?s>",
    r"<(?:bos|eos|pad)>",
    r"\[/?INST\]",
    r"<</?SYS>>",
    r"###\s*(?:Instruction|Question|Input|Response)\b",
)
_ECHO_TAG = re.compile("|".join(_ECHO_TAGS), re.IGNORECASE)
_ECHO_LABEL = re.compile(
    r"(?:(?<=\s)|^)(?:"
    + "|".join(r"\s+".join(map(re.escape, label.split())) for label in _ECHO_LABELS)
    + ")",
    re.MULTILINE,
)
_ANSWER_LABELS = ("Answer:", "Trả lời:", "Câu trả lời:", "Assistant:", "model:", "**")
# What a stream holds back while it may still become a label to cut ("Câu h", "Trả l").
_FOLDED_LABELS = tuple(fold(label) for label in (*_ECHO_LABELS, *_ANSWER_LABELS, "###"))
# A reply that opens with a label of its own ("Answer: …", "Trả lời: …") keeps what follows.
_ANSWER_LABEL = re.compile(
    r"^\s*(?:\*\*)?(?:answer|trả lời|câu trả lời|assistant|model)\s*:(?:\*\*)?\s*", re.IGNORECASE
)
_HTML_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*(?:\s[^<>]*)?/?>")
_MARKDOWN_LINK = re.compile(r"\[([^\[\]]+)\]\([^()\s]*\)")
_MARKDOWN_MARKS = re.compile(r"\*\*|__|`+|(?m:^\s{0,3}#{1,6}\s+)")
# A numbered list's marker ("1. ", "2) ") would read as a sentence of its own ("1.") that
# attribution then cites: "1 [1]." shown. Its items become bullets, as the extractive answer's.
_NUMBERED_ITEM = re.compile(r"(?m:^[ \t]{0,3}\d{1,2}[.)][ \t]+)")
_PLACEHOLDER = re.compile(r"\s*\[(?:n|N|số|x|\.\.\.|…)\]")  # "citing [n]" copied literally
_BLANK_LINES = re.compile(r"\n\s*\n\s*\n+")

# Sentence ends: punctuation (with closing quotes and any citations after it) then a space,
# or a line break. An abbreviation ("TP.", "Mr.", "v.v.") or initials ("E.I.", "U.S.") are no end.
_END = re.compile(r"[.!?…]+[\"'”’)»*]*(?:\s*\[[\d\s,;–-]+\])*[\"'”’)»*]*(?=\s|$)\s*|\n\s*")
_ABBREVIATION = re.compile(
    r"(?:^|[\s(])(?:TP|Tp|TS|ThS|PGS|GS|Mr|Mrs|Ms|Dr|St|Jr|Sr|No|vs|etc|e\.g|i\.e|v\.v|"
    r"(?:[A-Z]\.){0,3}[A-Z])\.$"
)
_SHORT_WORD = re.compile(r"(?:^|[\s(])[^\W\d_]{1,2}\.$")
_FINISHED = re.compile(r"[.!?…][\"'”’)»*\s]*$")
_CITATION_MARK = re.compile(r"\[[^\[\]]*\]")

_LOOP_MIN_WORDS = 6  # a word repeated 6 times, or a phrase 3 times in a row, is a loop
_MAX_PERIOD = 60  # words; longer repeats are caught sentence by sentence
_TAIL_CHARS = 3000  # surely more than 3 periods of the longest looping phrase
_WORD = re.compile(r"\S+")


@dataclass(frozen=True)
class Cleaned:
    """A model's reply after cleaning.

    Attributes:
        text: What may be shown (still with the model's own citation numbers).
        declined: The reply starts with NOT_IN_SOURCES: the model says the sources lack it.
        flags: What was cut: "think_removed", "echo_cut", "markup_removed",
            "repetition_cut", "unfinished_dropped".
    """

    text: str
    declined: bool = False
    flags: tuple[str, ...] = field(default_factory=tuple)

    @property
    def stop_reason(self) -> str | None:
        """Why the rest of a streaming reply is junk (an echo or a loop began), if it is."""
        for flag in ("echo_cut", "repetition_cut"):
            if flag in self.flags:
                return flag
        return None


def split_sentences(text: str) -> list[str]:
    """Split an answer into sentences; the pieces, joined, give the text back.

    A citation after the full stop ("… năm 1947. [1]") stays with its sentence; list items and
    lines are sentences of their own.
    """
    pieces: list[str] = []
    start = 0
    for match in _END.finditer(text):
        if not match.group().startswith("\n") and _is_no_end(text, match):
            continue
        if text[start : match.end()].strip():
            pieces.append(text[start : match.end()])
            start = match.end()
    if text[start:].strip():
        pieces.append(text[start:])
    elif pieces:
        pieces[-1] += text[start:]
    return pieces


def _is_no_end(text: str, match: re.Match[str]) -> bool:
    mark = match.group()
    # An ellipsis before a lower-case word leaves a list open: "Na Uy, UNDP… để thúc đẩy".
    if (mark.startswith(("…", "..")) or mark.rstrip().endswith("…")) and text[
        match.end() : match.end() + 1
    ].islower():
        return True
    # A word of one or two letters before a full stop and a lower-case word after it is an
    # abbreviation ("Y. p. orientalis", "ca. 1500"); sources are not cut there either
    # (knowledge.chunking).
    if (
        mark.startswith(".")
        and text[match.end() : match.end() + 1].islower()
        and _SHORT_WORD.search(text, max(0, match.start() - 4), match.start() + 1)
    ):
        return True
    # Abbreviations are short: look at the few characters before the full stop only.
    window = max(0, match.start() - 8)
    return mark.startswith(".") and bool(_ABBREVIATION.search(text, window, match.start() + 1))


def _strip_reasoning(text: str) -> tuple[str, bool]:
    opened, closed = _THINK_OPEN.search(text), _THINK_CLOSE.search(text)
    changed = False
    if closed and (not opened or closed.start() < opened.start()):
        # A closing tag alone: the chat template opened the block in the prompt (DeepSeek-R1).
        text, changed = text[closed.end() :], True
    while opened := _THINK_OPEN.search(text):
        changed = True
        closed = _THINK_CLOSE.search(text, opened.end())
        if closed is None:  # still thinking, or cut off while thinking: nothing after it shows
            return text[: opened.start()], True
        text = text[: opened.start()] + text[closed.end() :]
    return text, changed


def _cut_echo(text: str) -> tuple[str, bool]:
    starts = [m.start() for m in (_ECHO_TAG.search(text), _ECHO_LABEL.search(text)) if m]
    return (text[: min(starts)], True) if starts else (text, False)


def _strip_markup(text: str) -> tuple[str, bool]:
    # Telegram gets escaped text either way; this keeps model-made links and emphasis marks
    # from showing as clutter (and a model-made link never becomes one).
    def link(match: re.Match[str]) -> str:
        label = match.group(1)
        return f"[{label}]" if label.strip().isdigit() else label

    cleaned = _MARKDOWN_LINK.sub(link, text)
    cleaned = _MARKDOWN_MARKS.sub("", _HTML_TAG.sub("", cleaned))
    cleaned = _NUMBERED_ITEM.sub("• ", cleaned)
    cleaned = _PLACEHOLDER.sub("", cleaned)
    return cleaned, cleaned != text


def _loop_start(text: str, finished: bool) -> int | None:
    """Where a repetition begins (its first occurrence is kept), or None."""
    seen: set[str] = set()
    offset = 0
    sentences = split_sentences(text)
    # While streaming, the last sentence may still grow into a different one.
    for sentence in sentences if finished else sentences[:-1]:
        key = _sentence_key(sentence)
        if len(key.split()) >= 3:
            if key in seen:
                return offset
            seen.add(key)
        offset += len(sentence)
    return _phrase_loop_start(text)


@functools.lru_cache(maxsize=4096)
def _sentence_key(sentence: str) -> str:
    # A stream asks about the same sentences at every delta: each is folded once.
    return " ".join(re.findall(r"[^\W_]+", fold(_CITATION_MARK.sub("", sentence))))


def _phrase_loop_start(text: str) -> int | None:
    # A loop without sentence ends ("và hợp tác và hợp tác và hợp tác …") shows at the tail:
    # the last words are periodic. Keep one period of it.
    # Only the last words can show it, so a stream need not split all of its text each time.
    start = max(0, len(text) - _TAIL_CHARS)
    tail = [m.group().lower() for m in _WORD.finditer(text, start)]
    usable = len(tail) - (1 if start else 0)  # the window's first word may be cut in two
    for period in range(1, min(_MAX_PERIOD, usable // 3) + 1):
        needed = max(3 * period, _LOOP_MIN_WORDS)
        if needed > usable:
            break
        if all(tail[i] == tail[i + period] for i in range(len(tail) - needed, len(tail) - period)):
            spans = [m.span() for m in _WORD.finditer(text)]
            tokens = [text[a:b].lower() for a, b in spans]
            first = len(tokens) - needed
            while first > 0 and tokens[first - 1] == tokens[first - 1 + period]:
                first -= 1
            return spans[first + period][0]
    return None


def _drop_unfinished(text: str) -> tuple[str, bool]:
    stripped = text.rstrip()
    if not stripped or _FINISHED.search(stripped) or ends_with_citation(stripped):
        return text, False
    sentences = split_sentences(stripped)
    return "".join(sentences[:-1]), True


def clean_model_text(raw: str, *, finished: bool = True) -> Cleaned:
    """Cut what must not be shown from a model's reply.

    Args:
        raw: The reply as the model wrote it (so far).
        finished: The reply is complete: a last sentence without an end (cut by the token
            limit) is dropped. While streaming, the last sentence is still being written.

    Returns:
        The text to show, whether the model declined, and what was cut.
    """
    flags: list[str] = []
    text, changed = _strip_reasoning(raw)
    if changed:
        flags.append("think_removed")
    text = _ANSWER_LABEL.sub("", text, count=1)
    opening = text.lstrip(" \n*\"'`")[: len(NOT_IN_SOURCES)]
    declined = opening.upper() == NOT_IN_SOURCES
    if declined:
        return Cleaned("", True, tuple(flags))
    for flag, step in (("echo_cut", _cut_echo), ("markup_removed", _strip_markup)):
        text, changed = step(text)
        if changed:
            flags.append(flag)
    loop = _loop_start(text, finished)
    if loop is not None:
        text = text[:loop]
        flags.append("repetition_cut")
    if finished:
        text, changed = _drop_unfinished(text)
        if changed:
            flags.append("unfinished_dropped")
    text = _BLANK_LINES.sub("\n\n", text)
    return Cleaned(text.strip() if finished else text.lstrip(), False, tuple(flags))


# The longest text that may still grow into something that is cut: "<thi", "Câu h", "**".
_HOLD_BACK = 40
_PENDING_TAG = re.compile(r"(?:<[^<>]{0,40}|\[[^\[\]]{0,12}|[*_`]+)$")


def _pending(text: str) -> int:
    """How many trailing characters could still turn into a tag, an echo label or markup."""
    match = _PENDING_TAG.search(text)
    held = len(text) - match.start() if match else 0
    start = max(0, len(text) - _HOLD_BACK)
    for i in range(start, len(text)):
        if i > 0 and not text[i - 1].isspace():
            continue  # labels count only at the start of a word
        piece = fold(text[i:])
        if any(label.startswith(piece) for label in _FOLDED_LABELS):
            return max(held, len(text) - i)
    return held


class StreamFilter:
    """Forwards a streaming reply's deltas, minus what `clean_model_text` would cut.

    Feed every delta; `emit` receives the new visible text. Text that may still turn into a
    tag or an echo ("<thi", "Câu h") is held back until the next delta settles it. With
    `accept`, text goes out a sentence at a time, once the sentence is complete and `accept`
    approves it (the answerer checks it against its citations): a sentence that the final
    answer would drop never shows, not even for a moment.
    """

    # A reply this long is a runaway: stop it (no answer to a chat question needs more).
    max_chars = 20_000

    def __init__(
        self,
        emit: Callable[[str], None] | None = None,
        accept: Callable[[str], str | bool | None] | None = None,
    ) -> None:
        """Args:
        emit: Receives each new piece of visible text.
        accept: Judges a complete sentence: False or None hides it, True shows it, a string
            shows that instead (the sentence with a citation added); None shows text as it
            comes.
        """
        self._emit = emit
        self._accept = accept
        self._verdicts: dict[str, str | None] = {}
        self._pieces: list[str] = []
        self.shown = ""  # the visible text forwarded so far
        self.stop_reason: str | None = None
        self._diverged = False

    @property
    def raw(self) -> str:
        """Everything the model wrote so far."""
        return "".join(self._pieces)

    def feed(self, delta: str) -> None:
        """Take one delta from the model and forward what is now known to be visible."""
        self._pieces.append(delta)
        raw = self.raw
        cleaned = clean_model_text(raw, finished=False)
        self.stop_reason = cleaned.stop_reason or (
            "too_long" if len(raw) > self.max_chars else None
        )
        visible = cleaned.text
        if self._accept is not None:
            # The last sentence may still grow: only complete ones are judged.
            visible = self._accepted(split_sentences(visible)[:-1], self._accept)
        elif not self.stop_reason:
            visible = visible[: len(visible) - _pending(visible)]
        self._forward(visible)

    def finish(self) -> None:
        """The reply is complete: forward its last sentence, if it is shown at all."""
        if self._accept is not None:
            sentences = split_sentences(clean_model_text(self.raw).text)
            self._forward(self._accepted(sentences, self._accept))

    def _accepted(self, sentences: list[str], accept: Callable[[str], str | bool | None]) -> str:
        kept = []
        for sentence in sentences:
            if sentence not in self._verdicts:
                verdict = accept(sentence)
                shown = verdict if isinstance(verdict, str) else sentence if verdict else None
                self._verdicts[sentence] = shown
            shown_as = self._verdicts[sentence]
            if shown_as is not None:
                kept.append(shown_as)
        return "".join(kept)

    def _forward(self, visible: str) -> None:
        if self._diverged or not visible.startswith(self.shown):
            # A late cut changed text already shown (a lone "</think>"): the final answer
            # replaces the stream, so stop adding to it.
            self._diverged = True
            return
        new = visible[len(self.shown) :]
        if new:
            self.shown = visible
            if self._emit is not None:
                self._emit(new)
