"""The import: a file and a mapping in, rows stored, duplicates skipped, rejects explained.

This is the API the ``hearback import`` command and the dashboard's Import page call:

* ``inspect_file`` — headers, a few rows and what was detected (encoding, delimiter,
  sheets), to show the file and suggest a mapping (``tracker.io.suggest``);
* ``preview_import`` — the first rows as they will be stored, or why not;
* ``import_file`` — validate (``dry_run=True``, writes nothing) or import; returns an
  ``ImportResult`` whose rejections ``write_rejects`` turns into a CSV to download.

The importer acts as a user (``actor``) and stores through ``tracker.io.writer``, one
transaction per batch; it must be given a session of its own, which it commits.
"""

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, select

from tracker.access import require_writer
from tracker.audit import record_event
from tracker.codes import LocalityLevel
from tracker.db import storage_error
from tracker.errors import StorageError
from tracker.io.columns import bind
from tracker.io.lookup import SHOWN_SEPARATOR, PlaceError, Reference
from tracker.io.mapping import Mapping, MappingError
from tracker.io.plans import Rejection, RowPlan, unescape_formula
from tracker.io.readers import Source, Table, open_table
from tracker.io.rows import RowConverter
from tracker.io.spreadsheet import safe_text
from tracker.io.writer import DUPLICATE, IMPORTED, REJECTED, BatchWriter, Outcome
from tracker.models import ImportRun, User
from tracker.sqltypes import utcnow

# The first columns of a rejects file, before the row's own cells.
REJECTS_HEAD = ("rejected_line", "rejected_column", "rejected_reason")
BATCH_SIZE = 1000


@dataclass(frozen=True)
class FileSummary:
    """What the Import page shows before any mapping: the file as it was understood."""

    name: str
    format: str
    headers: list[str]
    sample: list[list[str]]
    encoding: str | None
    delimiter: str | None
    sheet: str | None
    sheets: list[str]


@dataclass
class ImportResult:
    """The summary of a run; ``rows_read == imported + duplicates + rejected``."""

    file: str
    dry_run: bool
    rows_read: int = 0
    imported: int = 0
    duplicates: int = 0
    rejected: int = 0
    places_created: int = 0
    run_uid: str | None = None
    headers: list[str] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The ``--json`` object (rejections are in the rejects file, not here)."""
        data = asdict(self)
        data.pop("rejections")
        data.pop("headers")
        return data


@dataclass(frozen=True)
class PreviewRow:
    """One row as it will be stored (``status`` new or duplicate), or why it will not."""

    line: int
    status: str  # "imported" (would be), "duplicate" or "rejected"
    column: str = ""
    reason: str = ""
    input: dict[str, Any] | None = None
    action: dict[str, Any] | None = None
    report_back: dict[str, Any] | None = None
    place: str | None = None


def inspect_file(source: Source, *, name: str | None = None, mapping: Mapping | None = None,
                 rows: int = 10) -> FileSummary:
    """Headers and the first ``rows`` rows, without a database."""
    table = _open(source, name, mapping)
    sample = []
    for raw in table.rows:
        sample.append(raw.cells)
        if len(sample) >= rows:
            break
    return FileSummary(table.name, table.format, table.headers, sample, table.encoding,
                       table.delimiter, table.sheet, table.sheets)


def _open(source: Source, name: str | None, mapping: Mapping | None) -> Table:
    src = mapping.source if mapping else None
    return open_table(source, name=name, format=src.table_format if src else None,
                      encoding=src.encoding if src else None,
                      delimiter=src.delimiter if src else None,
                      sheet=src.sheet if src else None,
                      header_row=src.header_row if src else 1)


def _prepare(session: Session, actor: User, table: Table, mapping: Mapping,
             strict: bool) -> tuple[RowConverter, Reference]:
    """Everything that can make the whole file unusable is checked here, before any row."""
    require_writer(actor)
    headers = table.headers
    if headers[:len(REJECTS_HEAD)] == list(REJECTS_HEAD):  # a fixed rejects file, as written
        mapping = mapping.with_source(formula_escape=True)
        headers = [unescape_formula(h) for h in headers]
    getters = bind(mapping, headers)
    ref = Reference.load(session, actor)
    session.rollback()  # end the read transaction (on SQLite it would hold the write lock)
    parent = mapping.source.parent
    if parent:
        try:
            found = ref.find_place(parent)
        except PlaceError as exc:
            raise MappingError(f"[source] parent: {exc}") from exc
        if found is None:
            raise MappingError(f"[source] parent {parent!r} is not a known place: add it "
                               "under Settings first (or import a file that has it), or "
                               "change [source] parent in the mapping")
        if not ref.can_hold(found, LocalityLevel.LOCALITY.value):
            raise MappingError(f"[source] parent {parent!r} is a {ref.levels[found]}: "
                               "new places cannot sit under it")
    return RowConverter(mapping, getters, ref, strict=strict), ref


def _run(session: Session, actor: User, table: Table, mapping: Mapping,
         converter: RowConverter, ref: Reference, *, dry_run: bool, batch_size: int,
         limit: int | None, result: ImportResult,
         on_progress: Callable[[int], None] | None = None,
         ) -> Iterator[tuple[RowPlan | Rejection, Outcome]]:
    run_id = None
    if not dry_run:
        run = ImportRun(source=mapping.source.name, file_name=Path(table.name).name[-300:],
                        file_sha256=table.sha256, user_id=actor.id, dry_run=False)  # type: ignore[arg-type]
        session.add(run)
        session.commit()
        run_id, result.run_uid = run.id, run.uid
    label = f"{(result.run_uid or 'dry run')[:8]} {Path(table.name).name}"
    writer = BatchWriter(session, actor, ref, source=mapping.source.name, run_id=run_id,
                         label=label)
    pending: list[RowPlan] = []
    rejected_before = 0
    read = 0

    def flush() -> Iterator[tuple[RowPlan | Rejection, Outcome]]:
        nonlocal rejected_before
        places, found = len(ref.pending), writer.places_found
        outcomes = writer.write(pending, rejected_before=rejected_before)
        result.places_created += places - len(ref.pending) - (writer.places_found - found)
        rejected_before = 0
        yield from zip(list(pending), outcomes, strict=True)
        pending.clear()

    for raw in table.rows:
        read += 1
        item = converter.convert(raw)
        if isinstance(item, Rejection):
            rejected_before += 1
            yield item, Outcome(REJECTED, item.reason)
        else:
            pending.append(item)
        if len(pending) >= batch_size:
            yield from flush()
            if on_progress:
                on_progress(read)
        if limit is not None and read >= limit:
            break
    yield from flush()
    if dry_run:
        result.places_created = len(ref.pending)
    if on_progress:
        on_progress(read)


def import_file(session: Session, actor: User, source: Source, mapping: Mapping, *,
                name: str | None = None, dry_run: bool = False, strict: bool = False,
                batch_size: int = BATCH_SIZE,
                on_progress: Callable[[int], None] | None = None) -> ImportResult:
    """Import (or with ``dry_run`` only validate) a file; MappingError or FileProblem when
    the file or the mapping cannot be used at all."""
    table = _open(source, name, mapping)
    result = ImportResult(file=Path(table.name).name, dry_run=dry_run, headers=table.headers)
    try:
        converter, ref = _prepare(session, actor, table, mapping, strict)
        for item, outcome in _run(session, actor, table, mapping, converter, ref,
                                  dry_run=dry_run, batch_size=max(1, batch_size), limit=None,
                                  result=result, on_progress=on_progress):
            _tally(result, item, outcome)
        result.rejections.sort(key=lambda r: r.line)
        if not dry_run:
            _finish(session, actor, result)
    except DBAPIError as exc:  # the database itself failed (full, read-only, gone, busy)
        session.rollback()
        raise storage_error(exc) from exc
    except StorageError as exc:  # the writer stopped the run: say how far it got
        if dry_run or not result.imported:
            raise
        raise type(exc)(f"{exc} (the import stopped after {result.imported} rows were "
                        "imported: run it again for the rest, rows already imported are "
                        "skipped)") from exc
    return result


def _tally(result: ImportResult, item: RowPlan | Rejection, outcome: Outcome) -> None:
    result.rows_read += 1
    if outcome.status == IMPORTED:
        result.imported += 1
    elif outcome.status == DUPLICATE:
        result.duplicates += 1
    else:
        result.rejected += 1
        if isinstance(item, RowPlan):
            item = Rejection(item.line, "", outcome.reason, item.cells)
        result.rejections.append(item)


def _finish(session: Session, actor: User, result: ImportResult) -> None:
    """Close the run with its exact counts, and say so in the audit trail."""
    run = session.exec(select(ImportRun).where(ImportRun.uid == result.run_uid)).one()
    run.finished_at = utcnow()
    run.rows_read, run.imported = result.rows_read, result.imported
    run.duplicates, run.rejected = result.duplicates, result.rejected
    session.add(run)
    record_event(session, actor=actor, verb="import", entity="import_run", entity_id=run.id,
                 entity_uid=run.uid, after=result.as_dict())
    session.commit()


def preview_import(session: Session, actor: User, source: Source, mapping: Mapping, *,
                   name: str | None = None, rows: int = 20,
                   strict: bool = False) -> list[PreviewRow]:
    """The first ``rows`` rows as they would be stored; nothing is written."""
    table = _open(source, name, mapping)
    converter, ref = _prepare(session, actor, table, mapping, strict)
    result = ImportResult(file=Path(table.name).name, dry_run=True)
    preview: list[PreviewRow] = []
    items = list(_run(session, actor, table, mapping, converter, ref, dry_run=True,
                      batch_size=max(1, rows), limit=rows, result=result))
    for item, outcome in sorted(items, key=lambda pair: pair[0].line):
        if isinstance(item, Rejection) or outcome.status == REJECTED:
            preview.append(PreviewRow(item.line, REJECTED, getattr(item, "column", ""),
                                      outcome.reason))
            continue
        preview.append(PreviewRow(
            item.line, outcome.status,
            input=_shown(ref, item.input.values, {"theme_codes": item.input.theme_codes})
            if item.input else None,
            action=_shown(ref, item.action.values, {"link_kind": item.action.link_kind,
                                                    "linked_at": item.action.linked_at})
            if item.action else None,
            report_back=_shown(ref, item.report_back.values,
                               {"messages": item.report_back.messages})
            if item.report_back else None,
            place=_path(ref, item.place) if item.place is not None else None,
        ))
    return preview


def _path(ref: Reference, place_id: int) -> str:
    """A place as the preview shows it: its path, marked when the import would create it."""
    path = SHOWN_SEPARATOR.join(ref.paths.get(place_id, ()))
    return f"{path} (new)" if place_id < 0 else path


def _shown(ref: Reference, values: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    data = {k: v for k, v in values.items() if v is not None} | extra
    if isinstance(data.get("locality_id"), int):
        data["locality"] = _path(ref, data.pop("locality_id"))
    return data


def write_rejects(result: ImportResult, out: str | Path | IO[str]) -> int:
    """The rejected rows as CSV: line, column and reason, then the row's own cells as read
    (so the file can be fixed and imported again with the same mapping). Returns the rows."""
    handle: IO[str]
    close = False
    if isinstance(out, str | Path):
        handle = open(out, "w", encoding="utf-8-sig", newline="")  # noqa: SIM115
        close = True
    else:
        handle = out
    try:
        writer = csv.writer(handle)
        writer.writerow([*REJECTS_HEAD, *(safe_text(h) for h in result.headers)])
        for r in result.rejections:
            # Opened in a spreadsheet to be fixed: a cell must never run as a formula.
            writer.writerow([r.line, safe_text(r.column), safe_text(r.reason),
                             *(safe_text(c) for c in r.cells)])
    finally:
        if close:
            handle.close()
    return len(result.rejections)


def rejects_csv(result: ImportResult) -> bytes:
    """The rejects file as bytes, for a download button."""
    buffer = io.StringIO()
    write_rejects(result, buffer)
    return buffer.getvalue().encode("utf-8-sig")
