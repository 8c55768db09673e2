"""Logging for the ISO, the night shift and the SIEM: every command, every sync (per source:
requests, pages, retries, throttling waits, duration), every action and every error, through
the standard ``logging`` module.

Where records go:
- a rotating file beside the store (``access-review.log``, owner-only; ``[logging] file`` puts
  it elsewhere), at ``--log-level`` or ``[logging] level`` (default info). The default file is
  created with the store, never before it: a config with nothing to store creates nothing;
- syslog when ``[logging] syslog`` names it (``local`` for /dev/log, ``udp://host:514``,
  ``tcp://host:601``), at the same level;
- the terminal (standard error) with ``--verbose`` (``-v`` info, ``-vv`` debug). ``--quiet``
  leaves only warnings and errors on the terminal (for cron: no output, nothing went wrong).
``[logging] format = "json"`` makes the file and syslog records one JSON object per line.

Records made before the config is read (the command line itself) wait in memory and are
written once the file is open. Every record passes ``RedactSecrets`` on its way out: the
values of every secret the config names (passwords, client secrets, certificates and keys,
the SMTP password, the audit and link keys) and anything shaped like a bearer token, a JWT or
a private key are replaced by ``[redacted]`` — in the message, its arguments, its fields and
its traceback.
"""

from __future__ import annotations

import getpass
import io
import json
import logging
import logging.handlers
import os
import re
import socket
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

from ..config import Config
from ..errors import ConfigError
from ..settings_spec import Setting

PACKAGES = ("access_review", "connectors", "campaigns", "exports")
LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}
DEFAULT_FILE_NAME = "access-review.log"
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_BACKUPS = 10
REDACTED = "[redacted]"
# The attributes every LogRecord has; anything else on a record was passed as ``extra``.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


# ----------------------------------------------------------------------------- settings
@dataclass(frozen=True)
class LogSettings:
    """``[logging]`` in the config; every key has a default (``access-review init`` lists them)."""

    file: Path | None = None  # None: beside the store
    level: str = "info"
    format: str = "text"  # text | json
    syslog: str = ""  # "" (off) | local | udp://host:port | tcp://host:port
    syslog_facility: str = "local0"
    max_bytes: int = DEFAULT_MAX_BYTES
    backups: int = DEFAULT_BACKUPS

    @classmethod
    def from_config(cls, cfg: Config) -> "LogSettings":
        section = cfg.section("logging")
        where = f"{cfg.path} [logging]"
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(section) - known)
        if unknown:
            raise ConfigError(
                f"{where}: unknown setting {unknown[0]!r}",
                hint=f"known: {', '.join(sorted(known))}",
            )
        level = str(section.get("level", "info")).lower()
        if level not in LEVELS:
            raise ConfigError(f"{where}: level must be one of {', '.join(LEVELS)}, not {level!r}")
        fmt = str(section.get("format", "text")).lower()
        if fmt not in ("text", "json"):
            raise ConfigError(f"{where}: format must be text or json, not {fmt!r}")
        syslog = str(section.get("syslog", "") or "")
        if syslog and syslog != "local" and not re.fullmatch(r"(udp|tcp)://[^:/\s]+:\d+", syslog):
            raise ConfigError(
                f"{where}: syslog must be local, udp://host:port or tcp://host:port, not {syslog!r}"
            )
        facility = str(section.get("syslog_facility", "local0")).lower()
        if facility not in logging.handlers.SysLogHandler.facility_names:
            raise ConfigError(
                f"{where}: syslog_facility {facility!r} is not a syslog facility",
                hint="e.g. local0 ... local7, daemon, auth, user",
            )
        numbers = {}
        for key, default in (("max_bytes", DEFAULT_MAX_BYTES), ("backups", DEFAULT_BACKUPS)):
            value = section.get(key, default)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ConfigError(
                    f"{where}: {key} must be a whole number at least 1, not {value!r}"
                )
            numbers[key] = value
        file = section.get("file")
        path = None
        if file:
            path = Path(str(file)).expanduser()
            path = path if path.is_absolute() else cfg.base_dir / path
        return cls(
            file=path, level=level, format=fmt, syslog=syslog, syslog_facility=facility, **numbers
        )

    def file_path(self, cfg: Config) -> Path:
        return self.file or cfg.store_path.parent / DEFAULT_FILE_NAME


# The keys of [logging], as `access-review init` writes them.
LOG_SETTINGS = (
    Setting(
        "file",
        None,
        "where the log goes (default: access-review.log beside the store)",
        example="/var/log/access-review/access-review.log",
    ),
    Setting("level", "info", "debug | info | warning | error (--log-level overrides it)"),
    Setting("format", "text", "text, or json: one JSON object a line, for a SIEM"),
    Setting(
        "syslog",
        "",
        "also to syslog: local (/dev/log), udp://host:514 or tcp://host:601 (default: off)",
        example="local",
    ),
    Setting("syslog_facility", "local0", "the syslog facility"),
    Setting("max_bytes", DEFAULT_MAX_BYTES, "the file is rotated at this size"),
    Setting("backups", DEFAULT_BACKUPS, "rotated files kept (access-review.log.1 ... .N)"),
)


# ----------------------------------------------------------------------------- secrets
_PATTERNS = [
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(-----END [A-Z ]*PRIVATE KEY-----|$)", re.S),
    re.compile(r"\b[Bb]earer\s+[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"),  # a JWT
    re.compile(r"\bya29\.[A-Za-z0-9._-]{8,}"),  # a Google access token
    re.compile(
        r"""(?i)\b(password|passwd|client_secret|secret|private_key|access_token|refresh_token|assertion)"""
        r"""(["']?\s*[:=]\s*["']?)[^\s"',&}]{4,}"""
    ),
]
# *_file settings that are not secret: a CA certificate is public, the log file is ours.
_PUBLIC_FILES = {"ca_file", "file"}


def secret_values(cfg: Config) -> set[str]:
    """Every secret the config names, as text that could reach a log: the values of its
    ``*_env`` variables, the contents of its secret ``*_file``s (and the private key inside a
    Google key file, each line of a PEM body), and the audit key."""
    found: set[str] = set()

    def add(value: str | None) -> None:
        if not value:
            return
        value = value.strip()
        if len(value) >= 6:
            found.add(value)
        for line in value.splitlines():  # a PEM or a key file may leak line by line
            if len(line.strip()) >= 16 and not line.startswith("-----"):
                found.add(line.strip())
        try:
            data = json.loads(value)
        except ValueError:
            return
        if isinstance(data, dict):
            for key in ("private_key", "private_key_id", "client_secret", "refresh_token"):
                if isinstance(data.get(key), str):
                    add(data[key])

    def walk(table: Any) -> None:
        if not isinstance(table, dict):
            return
        for key, value in table.items():
            if isinstance(value, dict):
                walk(value)
            elif key.endswith("_env") and isinstance(value, str):
                add(os.environ.get(value))
            elif key.endswith("_file") and key not in _PUBLIC_FILES and isinstance(value, str):
                path = Path(value).expanduser()
                path = path if path.is_absolute() else cfg.base_dir / path
                try:
                    if path.is_file() and path.stat().st_size < 1_000_000:
                        add(path.read_text(encoding="utf-8", errors="replace"))
                except OSError:
                    pass

    walk(cfg.raw)
    try:
        from ..audit_key import AuditKeySource

        key = AuditKeySource.from_settings(cfg.section("audit")).load(create=False)
        if key:
            add(key.hex())
            add(key.decode("utf-8", "ignore"))
    except Exception:  # noqa: S110 (a key we cannot read is a key no log line can hold)
        pass
    # The keys kept in the ISO's own config folder (~/.config/access-review/: the audit key,
    # the review links' key) by default are named nowhere in the config, so the walk above
    # cannot find them: every key file there is a secret.
    from ..audit_key import default_key_path

    for path in sorted(default_key_path().parent.glob("*.key")):
        try:
            if path.is_file() and path.stat().st_size < 10_000:
                add(path.read_text(encoding="utf-8", errors="replace"))
        except OSError:
            pass
    return found


class RedactSecrets(logging.Filter):
    """Replaces secrets in a record's message, fields and traceback before any handler writes it."""

    def __init__(self) -> None:
        super().__init__()
        self.values: list[str] = []
        self.version = 0  # a record scrubbed before more secrets were learned is scrubbed again

    def learn(self, values: Iterable[str]) -> None:
        # Longest first, so a secret containing another is replaced whole.
        self.values = sorted(set(self.values) | set(values), key=len, reverse=True)
        self.version += 1

    def scrub(self, text: str) -> str:
        for value in self.values:
            if value in text:
                text = text.replace(value, REDACTED)
        for pattern in _PATTERNS:
            if pattern.groups >= 2:
                text = pattern.sub(lambda m: m.group(1) + m.group(2) + REDACTED, text)
            else:
                text = pattern.sub(REDACTED, text)
        return text

    def _scrub_value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.scrub(value)
        if isinstance(value, dict):
            return {k: self._scrub_value(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self._scrub_value(v) for v in value]
        return value

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_redacted", -1) == self.version:
            return True
        record.msg = self.scrub(record.getMessage())
        record.args = ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.scrub(record.exc_text)
        record.exc_info = None  # formatters use exc_text, scrubbed, never the live exception
        for key, value in list(vars(record).items()):
            if key not in _STANDARD and not key.startswith("_"):
                setattr(record, key, self._scrub_value(value))
        record._redacted = self.version
        return True


# ----------------------------------------------------------------------------- formats
def _utc(record: logging.LogRecord) -> str:
    return (
        datetime.fromtimestamp(record.created, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
        + "Z"
    )


class TextFormatter(logging.Formatter):
    """``2026-11-28T02:00:04.123Z INFO pid=4242 access_review.sync: sync ad: complete ...``"""

    def format(self, record: logging.LogRecord) -> str:
        line = f"{_utc(record)} {record.levelname} pid={record.process} {record.name}: {record.getMessage()}"
        if record.exc_text:
            line += "\n" + record.exc_text
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, pid, user, command, and the
    record's fields (``source``, ``event``, ``requests``, ``seconds``, ...)."""

    def format(self, record: logging.LogRecord) -> str:
        doc = {
            "time": _utc(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
            "user": STATE.user,
            "command": STATE.command,
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                doc.setdefault(key, value)
        if record.exc_text:
            doc["exception"] = record.exc_text
        return json.dumps(doc, ensure_ascii=False, default=str)


class SyslogFormatter(logging.Formatter):
    """``access-review[4242]: INFO access_review.sync: ...`` (RFC 3164's tag), or the JSON object."""

    def __init__(self, inner: logging.Formatter):
        super().__init__()
        self.inner = inner

    def format(self, record: logging.LogRecord) -> str:
        text = (
            self.inner.format(record)
            if isinstance(self.inner, JsonFormatter)
            else f"{record.levelname} {record.name}: {record.getMessage()}"
        )
        return f"access-review[{record.process}]: {text}".replace("\n", " | ")


# ----------------------------------------------------------------------------- handlers
class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """Owner-only from the first byte, also each file a rotation starts: a log names people,
    accounts and what was done to them."""

    def _open(self) -> io.TextIOWrapper:
        path = Path(self.baseFilename)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(
            path, os.O_CREAT | os.O_APPEND | os.O_WRONLY | getattr(os, "O_NOFOLLOW", 0), 0o600
        )
        return os.fdopen(fd, "a", encoding=self.encoding or "utf-8")


class Pending(logging.Handler):
    """Records made before the log file can be opened, replayed into it once it is."""

    def __init__(self, limit: int = 10_000):
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.limit = limit

    def emit(self, record: logging.LogRecord) -> None:
        if len(self.records) < self.limit:
            self.records.append(record)


def _syslog_handler(settings: LogSettings) -> logging.Handler:
    facility = logging.handlers.SysLogHandler.facility_names[settings.syslog_facility]
    if settings.syslog == "local":
        address: Any = "/dev/log" if Path("/dev/log").exists() else ("localhost", 514)
        socktype = None
    else:
        scheme, rest = settings.syslog.split("://", 1)
        host, port = rest.rsplit(":", 1)
        address, socktype = (
            (host, int(port)),
            socket.SOCK_STREAM if scheme == "tcp" else socket.SOCK_DGRAM,
        )
    handler = logging.handlers.SysLogHandler(address=address, facility=facility, socktype=socktype)
    handler.append_nul = False
    return handler


# ----------------------------------------------------------------------------- state
@dataclass
class LogState:
    """This process's logging (one command at a time; tests run many in one process)."""

    terminal_level: int | None = None  # None: no log records on the terminal
    level_override: str | None = None  # --log-level
    quiet: bool = False
    command: str = ""
    user: str = ""
    handlers: list[logging.Handler] = field(default_factory=list)
    pending: Pending | None = None
    redact: RedactSecrets = field(default_factory=RedactSecrets)
    config: Config | None = None
    settings: LogSettings | None = None
    file_handler: logging.Handler | None = None
    file_path: Path | None = None


STATE = LogState()


def _os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry (containers)
        return f"uid:{os.getuid()}"


def _install(handler: logging.Handler, level: int) -> None:
    handler.setLevel(level)
    handler.addFilter(STATE.redact)
    for name in PACKAGES:
        logging.getLogger(name).addHandler(handler)
    STATE.handlers.append(handler)
    _set_logger_levels()


def _remove(handler: logging.Handler) -> None:
    for name in PACKAGES:
        logging.getLogger(name).removeHandler(handler)
    if handler in STATE.handlers:
        STATE.handlers.remove(handler)
    handler.close()
    _set_logger_levels()


def _set_logger_levels() -> None:
    """Our loggers let through what the most talkative handler wants, and no more: a debug
    record is not even made when nothing would write it."""
    level = min((h.level for h in STATE.handlers), default=logging.WARNING)
    for name in PACKAGES:
        logger = logging.getLogger(name)
        logger.setLevel(level)
        logger.propagate = False


def start(*, level: str | None, quiet: bool, verbose: int) -> None:
    """A new command: forget the previous one's handlers, buffer until the config is read."""
    stop()
    STATE.level_override = level.lower() if level else None
    STATE.quiet = quiet
    STATE.user = _os_user()
    STATE.terminal_level = (logging.DEBUG if verbose > 1 else logging.INFO) if verbose else None
    STATE.pending = Pending()
    # What waits for the file is what the file will keep (the config may ask for debug later:
    # only this command's first lines are made before it is read).
    _install(STATE.pending, LEVELS[STATE.level_override] if STATE.level_override else logging.INFO)
    if STATE.terminal_level is not None:
        terminal = logging.StreamHandler()  # standard error
        terminal.setFormatter(TextFormatter())
        _install(terminal, STATE.terminal_level)


def stop() -> None:
    for handler in list(STATE.handlers):
        _remove(handler)
    STATE.pending = None
    STATE.config = STATE.settings = STATE.file_handler = STATE.file_path = None
    STATE.redact = RedactSecrets()
    STATE.command = ""


def file_level() -> int:
    settings = STATE.settings or LogSettings()
    return LEVELS[STATE.level_override or settings.level]


def attach(cfg: Config) -> None:
    """The config is read: learn its secrets, open syslog, and the log file if the store exists
    (or the file is named in the config)."""
    if STATE.config is not None and STATE.config.path == cfg.path:
        return
    settings = LogSettings.from_config(cfg)
    STATE.config, STATE.settings = cfg, settings
    STATE.redact.learn(secret_values(cfg))
    formatter: logging.Formatter = JsonFormatter() if settings.format == "json" else TextFormatter()
    if settings.syslog:
        try:
            handler = _syslog_handler(settings)
        except OSError as exc:
            raise ConfigError(
                f"{cfg.path} [logging]: cannot reach syslog at {settings.syslog}: {exc}",
                hint='check the address, or set syslog = "" to log to the file only',
            ) from None
        handler.setFormatter(SyslogFormatter(formatter))
        _install(handler, file_level())
        _replay(handler)
    if settings.file is not None or cfg.store_path.exists():
        open_file()


def open_file() -> None:
    """Open the log file (once per command), and write what waited for it."""
    cfg, settings = STATE.config, STATE.settings
    if cfg is None or settings is None or STATE.file_handler is not None:
        return
    path = settings.file_path(cfg)
    handler = PrivateRotatingFileHandler(
        path, maxBytes=settings.max_bytes, backupCount=settings.backups, encoding="utf-8"
    )
    handler.setFormatter(JsonFormatter() if settings.format == "json" else TextFormatter())
    _install(handler, file_level())
    STATE.file_handler, STATE.file_path = handler, path
    _replay(handler)
    if STATE.pending is not None:  # the file has them now: nothing more to keep in memory
        _remove(STATE.pending)
        STATE.pending = None


def _replay(handler: logging.Handler) -> None:
    if STATE.pending is None:
        return
    for record in STATE.pending.records:
        if record.levelno >= handler.level:
            STATE.redact.filter(record)
            handler.handle(record)


def attach_if_possible(config: str | Path | None) -> None:
    """A command that failed before it read its config (a bad option) still goes to the log
    of the config it was given, when that config can be read."""
    if STATE.config is not None:
        return
    from ..config import load_config

    try:
        attach(load_config(config))
    except Exception:  # noqa: S110 (no readable config: the terminal has shown the error already)
        pass


def finish() -> None:
    """The command is done: write to the file if the store came to exist during it, then let go
    of every handler (a file left open would keep a rotated log alive)."""
    if STATE.file_handler is None and STATE.config is not None and STATE.config.store_path.exists():
        open_file()
    stop()


def is_quiet() -> bool:
    return STATE.quiet
