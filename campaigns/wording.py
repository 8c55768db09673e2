"""Plain words for what a reviewer reads: how someone has access, why it is flagged, what we
recommend and why, what happens to an unanswered item, and what happened to an answered one.

The reviewers are principals and directors, not directory administrators: no record keys,
no ``->`` paths, no rule syntax. Every function here is pure (text in, text out) so the
review workbook, the e-mails and the web review page (issue 17) say the same thing in the
same words.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Iterable, Mapping, Sequence

# Directory types as people name them; a source is shown by its type, and by its configured
# name too when a district has two sources of one type.
DIRECTORY_NAMES = {"ad": "AD", "entra": "Entra ID", "google": "Google"}

# What a reviewer reads in the Access column. "manage" is a group owner's or manager's: they can
# add anyone to the group, so they decide who has the access (docs/access-model.md).
LEVEL_WORDS = {
    "read": "View",
    "write": "Edit",
    "manage": "Manages who has access",
    "admin": "Admin",
    "manages who has access": "Manages who has access",
}  # as items stored it before

# flag -> the sentence a reviewer reads (the finding's own detail follows in brackets)
FLAG_SENTENCES = {
    "separated": "Has left the district",
    "leave": "Is on leave",
    "unauthorized": "Not authorized by the data inventory",
    "dormant": "Account not used recently",
    "unapproved_app": "Uses an app the ISO has not approved",
    "untrained": "Confidentiality training is overdue",
}
# The short form used in a recommendation ("Revoke: has left the district").
FLAG_SHORT = {
    "separated": "has left the district",
    "leave": "is on leave",
    "unauthorized": "not authorized by the data inventory",
    "dormant": "account not used recently",
    "unapproved_app": "uses an unapproved app",
    "untrained": "training overdue",
}

# The default decision for unanswered items, in Microsoft Entra access reviews' vocabulary
# (accessReviewScheduleSettings.defaultDecision: Approve | Deny | Recommendation, or no
# default at all): https://learn.microsoft.com/en-us/graph/api/resources/accessreviewschedulesettings
DEFAULT_WORDS = {
    "keep": "keep",
    "revoke": "revoke",
    "recommendation": "follow the recommendation",
    "none": "no action",
}
DEFAULT_EFFECT = {
    "keep": "their access is kept",
    "revoke": "their access is removed",
    "recommendation": "our recommendation is carried out (Keep or Revoke, as shown in the workbook)",
    "none": "nothing is changed and the item is reported as not reviewed",
}


def directory_name(source: str, source_types: Mapping[str, str] | None = None) -> str:
    """``ad`` -> ``AD``; a source of a known type named otherwise keeps its name in brackets."""
    source_types = source_types or {}
    kind = source_types.get(source, source)
    pretty = DIRECTORY_NAMES.get(kind)
    if pretty is None:
        return source
    same_type = [s for s, t in source_types.items() if t == kind]
    return pretty if len(same_type) <= 1 or source == kind else f"{pretty} ({source})"


def level_text(level: str) -> str:
    return LEVEL_WORDS.get(level, level.replace("_", " ").capitalize())


def _grant_phrase(kind: str, level: str, directory: str, name: str, *, held_by_group: bool) -> str:
    """What holding a directory resource means, as a verb phrase. Held by a group, the group was
    already named with its directory, so the directory is not said twice."""
    where = "" if held_by_group else f"{directory} "
    if kind == "admin_role":
        phrase = f"holds the {where}admin role '{name}'"
    elif kind == "app_role":
        phrase = f"has the {where}app role '{name}'"
    elif kind == "app":
        phrase = f"is assigned the {where}app '{name}'"
    elif kind == "oauth_app":
        phrase = f"has let the app '{name}' into the {directory} account"
    elif kind == "shared_drive":
        verb = {"read": "can view", "write": "can edit", "admin": "manages"}.get(level, "can reach")
        phrase = f"{verb} the {where}shared drive '{name}'"
    else:
        phrase = f"has access to the {where}{kind.replace('_', ' ')} '{name}'"
    if held_by_group:
        return phrase
    return phrase[0].upper() + phrase[1:]


def path_sentence(
    steps: Sequence[Mapping[str, Any]], directory: str, account_note: str = ""
) -> str:
    """One access path in words. ``steps`` are the nodes between the account and the data, in
    order: ``{"type": "group", "name": ...}`` or ``{"type": "resource", "kind", "name", "level"}``.

    "Member of the AD group 'Summer School Aides', which is in the group 'SpEd Staff'";
    "Manager of the Google group 'SpEd Staff', which can edit the shared drive 'SpEd Records'"
    (a manager can add anyone to the group: ``"manages": True`` on the first group step).
    """
    if not steps:
        return f"Directly selected in the {directory} directory" + account_note
    first, rest = steps[0], steps[1:]
    if first["type"] == "group":
        role = "Manager" if first.get("manages") else "Member"
        text = f"{role} of the {directory} group '{first['name']}'"
    else:
        text = _grant_phrase(
            first.get("kind", ""),
            first.get("level", ""),
            directory,
            first["name"],
            held_by_group=False,
        )
    for step in rest:
        if step["type"] == "group":
            text += f", which is in the group '{step['name']}'"
        else:
            text += ", which " + _grant_phrase(
                step.get("kind", ""),
                step.get("level", ""),
                directory,
                step["name"],
                held_by_group=True,
            )
    return text + account_note


def paths_text(sentences: Iterable[str]) -> str:
    """Several paths, one per line, each said once."""
    return "\n".join(dict.fromkeys(sentences))


def _or_list(values: Sequence[str]) -> str:
    values = list(values)
    if len(values) <= 1:
        return "".join(values)
    return ", ".join(values[:-1]) + " or " + values[-1]


PERSON_TYPE_NOUNS = {
    "employee": ("employee", "employees"),
    "volunteer": ("volunteer", "volunteers"),
    "contractor": ("contractor", "contractors"),
}


def rule_text(rule) -> str:
    """An inventory authorization rule as a description of people.

    ``department=Special Education & person_type=employee`` -> "Special Education staff";
    ``title=Principal|Assistant Principal`` -> "Principal or Assistant Principal";
    ``person_type=employee`` -> "any employee".
    """
    if getattr(rule, "any_active_employee", False):
        return "any active employee"
    by_attribute = {c.attribute: list(c.values) for c in rule.conditions}
    types = [t.lower() for t in by_attribute.pop("person_type", [])]
    departments = by_attribute.pop("department", [])
    titles = by_attribute.pop("title", [])
    singular = [PERSON_TYPE_NOUNS.get(t, (t, t))[0] for t in types]
    plural_nouns = [PERSON_TYPE_NOUNS.get(t, (t, t))[1] for t in types]
    employees_only = types == ["employee"]
    if departments:
        text = f"{_or_list(departments)} {'staff' if not types or employees_only else _or_list(plural_nouns)}"
        if titles:
            text += f" who are {_or_list(titles)}"
    elif titles:
        text = _or_list(titles) + (f" ({_or_list(plural_nouns)} only)" if types else "")
    elif types:
        text = "any " + _or_list(singular)
    else:
        text = "anyone"
    for attribute, prefix in (("building", "at"), ("status", "with status")):
        if attribute in by_attribute:
            text += f" {prefix} {_or_list(by_attribute.pop(attribute))}"
    for attribute, values in by_attribute.items():  # an attribute added to the rules later
        text += f" with {attribute.replace('_', ' ')} {_or_list(values)}"
    return text


def authorization_text(
    resource, person, today: date, names: Mapping[str, str] | None = None
) -> str:
    """Why the inventory authorizes ``person`` for ``resource``, in words, or "" when no rule
    or exception does. The data manager's own role is deliberately not a reason here: whoever
    reviews the data manager's access must see what, other than their own say-so, allows it."""
    names = names or {}
    for number, rule in enumerate(resource.rules, start=1):
        if person.status == "active" and rule.holds_for(person):
            return f"Authorized: {rule_text(rule)} (inventory rule {number})"
    for exception in resource.exceptions:
        if exception.employee_id.casefold() == person.employee_id.casefold() and exception.valid_on(
            today
        ):
            approver = names.get(exception.approver, exception.approver)
            return f"Authorized by an exception approved by {approver} until {exception.until:%B %d, %Y}"
    return ""


def flag_detail(flag: str, detail: str) -> str:
    """A finding's own wording, made readable where it is jargon."""
    if flag == "unauthorized":
        detail = detail.replace("no rule matches", "no inventory rule covers this person")
    return detail


def flag_sentence(flag: str, detail: str) -> str:
    sentence = FLAG_SENTENCES.get(flag, flag.replace("_", " ").capitalize())
    detail = flag_detail(flag, detail)
    return f"{sentence} ({detail})" if detail else sentence


def flags_text(flags: Iterable[tuple[str, str]]) -> str:
    """Every flag of an item, one sentence per line ("" when nothing is flagged)."""
    return "\n".join(flag_sentence(flag, detail) for flag, detail in flags)


def recommendation_text(recommendation: str, reason: str) -> str:
    """The Recommendation cell: the word first (Keep / Revoke), then why."""
    word = recommendation.capitalize()
    return f"{word}. {reason}" if reason else word


def default_text(default: str, where: str = "workbook") -> str:
    """ "If you do not answer: …", for every message, the workbook and (``where="page"``) the
    web review page."""
    effect = DEFAULT_EFFECT.get(default, default)
    if where != "workbook":
        effect = effect.replace("as shown in the workbook", f"as shown on this {where}")
    return f"Items with no answer when the review closes: {DEFAULT_WORDS.get(default, default)} — {effect}."


def response_text(
    response: str, default: str = "", decision: str = "", when: str = "", who: str = ""
) -> str:
    """One item's response, as reports show it: decided / no response → default X / unanswered."""
    if response == "decided":
        return f"decided: {decision}" if decision else "decided"
    if response == "defaulted":
        text = f"no response → default {DEFAULT_WORDS.get(default, default)}"
        text += f" ({decision})" if decision and default == "recommendation" else ""
    else:
        text = "no response" + (
            f" → default {DEFAULT_WORDS.get(default, default)}"
            if default == "none" and when
            else ""
        )
    details = ", ".join(x for x in (who, when) if x)
    return text + (f" (recorded {details})" if details else "")


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else (many or word + 's')}"
