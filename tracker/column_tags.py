"""Every stored column's data class: what it is, so nobody adds one without deciding.

The classes say how a column may travel, not who reads a given row (that is
``tracker.access``): ``reference`` data (taxonomies, places) may appear anywhere,
public display included; ``operational`` values (keys, codes, dates, counts, flags)
follow the record they belong to; ``record_text`` is free text whose readers the
record's sensitivity decides; ``aggregate`` holds counts only; ``staff`` names mission
personnel (internal); ``protected`` is a source's pseudonym or encrypted contact, never
exported; ``secret`` is credentials, never shown or exported; ``audit`` is the trail
itself (its snapshots repeat the record's values, so it is read only through a
readable record or by an admin). ``tag_columns`` writes the class into ``Column.info``
(a test fails on any untagged column).
"""

from enum import StrEnum

from sqlalchemy import MetaData


class DataClass(StrEnum):
    REFERENCE = "reference"
    OPERATIONAL = "operational"
    RECORD_TEXT = "record_text"
    AGGREGATE = "aggregate"
    STAFF = "staff"
    PROTECTED = "protected"
    SECRET = "secret"
    AUDIT = "audit"


def _t(**classes: str) -> dict[str, DataClass]:
    """``_t(operational="id uid", ...)`` → {column: class}."""
    return {col: DataClass(cls) for cls, cols in classes.items() for col in cols.split()}


TAGS: dict[str, dict[str, DataClass]] = {
    "app_user": _t(operational="id uid role component_code section_code active created_at "
                               "failed_signins locked_until",
                   staff="username display_name", secret="password_hash"),
    "user_session": _t(operational="id user_id created_at last_seen_at ended_at end_reason method",
                       secret="token_hash"),
    "locality": _t(reference="id uid name level parent_id region_id place_type setting latitude "
                             "longitude created_at"),
    "service_level": _t(reference="id type_code urgency hours"),
    "term": _t(reference="id kind code label parent_code restricted sort_order active"),
    "input": _t(
        operational="id uid received_at recorded_at channel_code locality_id type_code urgency "
                    "sensitivity language recorded_by_id component_code section_code "
                    "source_women source_youth source_displaced source_minority girls young_women "
                    "women boys young_men men consent_contact consent_public respond_by "
                    "acknowledged_at acknowledged_by_id actions_total actions_open first_action_at "
                    "last_action_closed_at first_report_back_at closed_at repeats_open_ask updated_at",
        record_text="original_text translation summary source_group",
        protected="source_code"),
    "input_theme": _t(operational="input_id theme_code"),
    "input_share": _t(operational="input_id user_id shared_by_id shared_at"),
    "source_contact": _t(operational="id uid input_id recorded_by_id recorded_at",
                         protected="ciphertext"),
    "action": _t(operational="id uid kind_code component_code section_code locality_id status "
                             "not_possible_reason is_public_commitment due_date created_at "
                             "created_by_id started_at closed_at updated_at",
                 record_text="title description outcome"),
    "action_input": _t(operational="action_id input_id kind linked_at linked_by_id"),
    "report_back": _t(operational="id uid audience method reported_at locality_id recorded_by_id "
                                  "approved_public created_at"),
    "report_back_input": _t(operational="report_back_id input_id"),
    "report_back_message": _t(operational="id report_back_id language", record_text="text"),
    "audit_event": _t(operational="id uid at user_id verb entity entity_id entity_uid",
                      audit="before after reason prev_hash hash"),
    "import_run": _t(operational="id uid source file_name file_sha256 user_id dry_run started_at "
                                 "finished_at rows_read imported duplicates rejected"),
    "import_key": _t(operational="id source external_id input_id run_id"),
    "rollup_cell": _t(aggregate="grain dim day locality_id code inputs closed open_inputs "
                                "with_report_back participants female youth src_women src_youth "
                                "src_displaced src_minority repeats oldest_open counts"),
    "rollup_action_place": _t(aggregate="action_id locality_id public"),
}


def tag_columns(metadata: MetaData) -> None:
    """Write each column's class into ``column.info['data_class']`` (untagged ones stay bare)."""
    for table in metadata.tables.values():
        for column in table.columns:
            tag = TAGS.get(table.name, {}).get(column.name)
            if tag is not None:
                column.info["data_class"] = tag


def never_exported() -> frozenset[DataClass]:
    return frozenset({DataClass.SECRET, DataClass.PROTECTED})
