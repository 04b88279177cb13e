"""The log formatter of every process (web, worker, beat): JSON lines that never carry an
exception's text.

An exception's message can quote the data that caused it: PostgreSQL's errors carry the
offending value, their DETAIL and CONTEXT (psycopg puts them in the message), a Celery
failure repeats the message in its description and traceback. So a record with an
exception keeps the exception's type (module and class), its stable ``code`` when it has
one, and the code location of every frame (file, line, function, the whole chain of
causes), and loses the message wherever it appears: in the rendered message, in the
traceback and in any extra field (Celery's ``data``). Records without an exception are
untouched: our own log lines carry ids and outcomes only.
"""

import copy
import logging
import traceback

from pythonjsonlogger.json import JsonFormatter

#: What a record carries besides extras (not scrubbed: none holds exception text but msg/args).
_RECORD_ATTRIBUTES = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
WITHHELD = "[exception text withheld]"


def exception_chain(exc: BaseException) -> list[BaseException]:
    """The exception and its causes and contexts, outermost first."""
    chain, seen = [], set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        chain.append(exc)
        exc = exc.__cause__ or exc.__context__
    return chain


def exception_name(exc: BaseException) -> str:
    name = f"{type(exc).__module__}.{type(exc).__qualname__}"
    code = getattr(exc, "code", None)
    return f"{name} [{code}]" if isinstance(code, str) and code else name


def safe_traceback(exc: BaseException) -> str:
    """The traceback as Python prints it (innermost cause first), without any message."""
    lines: list[str] = []
    for position, item in enumerate(reversed(exception_chain(exc))):
        if position:
            lines.append("The above exception led to:")
        lines.append("Traceback (most recent call last):")
        for frame in traceback.extract_tb(item.__traceback__):
            lines.append(f'  File "{frame.filename}", line {frame.lineno}, in {frame.name}')
        lines.append(f"{exception_name(item)}: {WITHHELD}")
    return "\n".join(lines)


def _exception_texts(exc: BaseException) -> list[str]:
    """Every piece of text the exceptions could bring (whole messages, reprs, and each of
    their lines), longest first so a whole message goes before its parts."""
    texts: set[str] = set()
    for item in exception_chain(exc):
        for text in (str(item), repr(item), *(str(arg) for arg in item.args)):
            texts.add(text)
            texts.update(line.strip() for line in text.splitlines())
    return sorted((t for t in texts if len(t) >= 3), key=len, reverse=True)


def _scrub(value, texts: list[str]):
    if isinstance(value, str):
        for text in texts:
            if text in value:
                value = value.replace(text, WITHHELD)
        return value
    if isinstance(value, dict):
        return {key: _scrub(item, texts) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_scrub(item, texts) for item in value)
    if isinstance(value, BaseException):
        return exception_name(value)
    return value


class SafeJsonFormatter(JsonFormatter):
    """``pythonjsonlogger``'s JSON formatter, minus exception text (see the module)."""

    def format(self, record: logging.LogRecord) -> str:
        exc = record.exc_info[1] if record.exc_info else None
        if exc is None:
            return super().format(record)
        texts = _exception_texts(exc)
        safe = copy.copy(record)  # other handlers keep the original record
        safe.msg, safe.args = _scrub(record.getMessage(), texts), None
        safe.exc_text = None  # a cached traceback (with the message) of another formatter
        for key, value in vars(record).items():
            if key not in _RECORD_ATTRIBUTES:
                setattr(safe, key, _scrub(value, texts))
        return super().format(safe)

    def formatException(self, ei) -> str:
        return safe_traceback(ei[1]) if ei and ei[1] is not None else ""
