"""Ranged retrieval of multi-valued attributes (MaxValRange).

A Windows DC returns at most MaxValRange (1,500 by default) values of ``member`` per read.
A group with more arrives as ``member;range=0-1499`` (and an empty ``member``); the client
then asks for ``member;range=1500-*`` and gets ``member;range=1500-2999`` ... until the last
answer ends in ``*`` (``member;range=3000-*``). Samba returns every value at once.
https://learn.microsoft.com/windows/win32/adsi/attribute-range-retrieval
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from access_review.errors import IncompleteRead

_RANGE = re.compile(r"^(?P<name>[^;]+);range=(?P<low>\d+)-(?P<high>\d+|\*)$", re.I)


@dataclass(frozen=True)
class RangedValues:
    values: list[Any]
    next_start: int | None  # None when every value has been read


def read_ranged(attributes: Mapping[str, list[Any]], name: str) -> RangedValues:
    """The values of ``name`` in one answer and where the next range starts.

    A plain ``name`` attribute (Samba, or a Windows group under the limit) is complete.
    An answer with neither is an attribute with no values.
    """
    wanted = name.lower()
    plain: list[Any] | None = None
    for key, values in attributes.items():
        match = _RANGE.match(key)
        if match and match.group("name").lower() == wanted:
            if match.group("high") == "*":
                return RangedValues(list(values), None)
            return RangedValues(list(values), int(match.group("high")) + 1)
        if key.lower() == wanted:
            plain = list(values)
    return RangedValues(plain or [], None)


def collect_ranged(
    first: Mapping[str, list[Any]],
    name: str,
    read_range: Callable[[str], Mapping[str, list[Any]]],
    *,
    where: str,
    source: str,
) -> tuple[list[Any], int]:
    """Every value of ``name``: the first answer, then ``read_range("member;range=N-*")``
    for each further range. Returns the values and the number of extra reads.

    A further answer that carries no range of ``name`` at all means the object changed or
    the server misbehaved: raise rather than return a silently short member list.
    """
    result = read_ranged(first, name)
    values, reads = list(result.values), 0
    while result.next_start is not None:
        start = result.next_start
        answer = read_range(f"{name};range={start}-*")
        reads += 1
        if not any(_RANGE.match(k) and k.split(";")[0].lower() == name.lower() for k in answer):
            raise IncompleteRead(
                source,
                f"LDAP ranged read {name} of {where}",
                f"no {name};range={start}-* in the answer; the value list is incomplete",
            )
        result = read_ranged(answer, name)
        values.extend(result.values)
    return values, reads
