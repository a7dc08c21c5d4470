"""The write side: the only way the app, the CLI and the importer change data.

Each service takes the acting user, runs in one transaction and appends its audit
events in that same transaction, so a failure leaves nothing half-written.
"""

from tracker.services.actions import (
    ActionUpdate,
    create_action,
    edit_action,
    link_action,
    set_action_status,
    unlink_action,
)
from tracker.services.directory import (
    create_locality,
    create_user,
    ensure_system_user,
    save_term,
    update_user,
)
from tracker.services.inputs import acknowledge_input, edit_input, record_input
from tracker.services.report_backs import record_report_back
from tracker.services.sharing import share_input, shared_with, unshare_input

__all__ = [
    "ActionUpdate",
    "acknowledge_input",
    "create_action",
    "create_locality",
    "create_user",
    "edit_action",
    "edit_input",
    "ensure_system_user",
    "link_action",
    "record_input",
    "record_report_back",
    "save_term",
    "set_action_status",
    "share_input",
    "shared_with",
    "unlink_action",
    "unshare_input",
    "update_user",
]
