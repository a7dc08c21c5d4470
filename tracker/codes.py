"""Stable codes stored in the database; only their labels are translated.

Taxonomies that an admin edits (channels, types, themes, components, sections,
action kinds) are rows of ``Term``; the codes here are the fixed vocabulary that
the rules of the library depend on.
"""

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    OFFICER = "officer"
    SECTION_HEAD = "section_head"
    LEADERSHIP = "leadership"
    VIEWER = "viewer"


class Sensitivity(StrEnum):
    PUBLIC = "public"
    INTERNAL = "internal"
    CONFIDENTIAL = "confidential"
    RESTRICTED = "restricted"


class Urgency(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class ConsentPublic(StrEnum):
    """How an input may be shown publicly: never, counted in aggregates, or quoted."""

    NONE = "none"
    AGGREGATE = "aggregate"
    QUOTE = "quote"


class LoopState(StrEnum):
    """Derived from links and report-backs; never typed in."""

    RECEIVED = "received"
    ACKNOWLEDGED = "acknowledged"
    IN_ACTION = "in_action"
    ACTIONED = "actioned"
    CLOSED = "closed"


class ActionStatus(StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    NOT_POSSIBLE = "not_possible"

    @property
    def is_open(self) -> bool:
        return self in (ActionStatus.PLANNED, ActionStatus.IN_PROGRESS)


OPEN_ACTION_STATUSES = (ActionStatus.PLANNED.value, ActionStatus.IN_PROGRESS.value)


class NotPossibleReason(StrEnum):
    OUTSIDE_MANDATE = "outside_mandate"
    NO_ACCESS = "no_access"
    NO_RESOURCES = "no_resources"
    REFERRED_ELSEWHERE = "referred_elsewhere"
    OTHER = "other"


class LinkKind(StrEnum):
    """Why an input and an action are linked."""

    ANSWERS = "answers"  # the action responds to the input
    INFORMED_BY = "informed_by"  # the input informed the action (e.g. a patrol plan)
    REFERRED = "referred"  # the input was referred to a partner through the action


class Audience(StrEnum):
    PERSON = "person"
    COMMUNITY = "community"
    COMMITTEE = "committee"
    PUBLIC = "public"


class ReportMethod(StrEnum):
    TOWN_HALL = "town_hall"
    RADIO = "radio"
    SMS = "sms"
    VISIT = "visit"
    NOTICE_BOARD = "notice_board"
    PROTECTION_COMMITTEE = "protection_committee"
    PHONE = "phone"


class LocalityLevel(StrEnum):
    MISSION = "mission"
    REGION = "region"
    TERRITORY = "territory"
    LOCALITY = "locality"


LEVEL_DEPTH = {level: depth for depth, level in enumerate(LocalityLevel)}


class Setting(StrEnum):
    """HIPPO asks missions to reach beyond capitals: where a locality sits."""

    URBAN = "urban"
    RURAL = "rural"
    REMOTE = "remote"


class TermKind(StrEnum):
    CHANNEL = "channel"
    INPUT_TYPE = "input_type"
    THEME = "theme"
    COMPONENT = "component"
    SECTION = "section"
    ACTION_KIND = "action_kind"
