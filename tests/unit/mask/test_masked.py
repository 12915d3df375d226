"""Masked sources, the production path (refused / authorised) and the audit record."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Table

from seedlib.config import ALLOW_PRODUCTION_VAR, resolve_settings
from seedlib.exceptions import ConfigurationError, Refused, UnmaskedPII
from seedlib.mask.audit import emit, masking_record
from seedlib.mask.keys import DEVELOPMENT_KEY, KEY_VAR, masking_key
from seedlib.mask.masked import prepare_source
from seedlib.mask.session import MaskingSession
from seedlib.mask.sources import open_source
from tests.unit.mask.conftest import KEY

DATA = Path(__file__).resolve().parents[3] / "examples" / "terp" / "data"
PROD_URL = "postgresql://deploy@db.internal/terp_prod"


def _all(source: object) -> list[dict[str, object]]:
    rows = source.rows(0, source.count())  # type: ignore[attr-defined]
    assert isinstance(rows, list)
    return rows


def test_development_masks_every_pii_column_and_keeps_joins(
    clients: Table, suppliers: Table, session: MaskingSession
) -> None:
    settings = resolve_settings(env="development", database_url="sqlite://", environ={})
    raw_clients = _all(open_source(DATA / "clients.csv", clients))
    raw_suppliers = _all(open_source(DATA / "supplier_profiles.csv", suppliers))
    c = prepare_source(
        open_source(DATA / "clients.csv", clients), clients, settings, session=session
    )
    s = prepare_source(
        open_source(DATA / "supplier_profiles.csv", suppliers), suppliers, settings, session=session
    )
    assert c.skipped is None
    assert c.masked is not None
    assert s.masked is not None
    masked_clients = [
        row for start in range(0, 240, 50) for row in c.source.rows(start, start + 50)
    ]
    masked_suppliers = _all(s.source)
    for raw, masked in zip(raw_clients, masked_clients, strict=True):
        for column in ("business_name", "email", "phone", "address_line1"):
            assert masked[column] != raw[column]
        for column in ("id", "client_code", "state", "business_type", "credit_limit"):
            assert masked[column] == raw[column]
    originals = {r["email"] for r in raw_clients} | {r["contact_email"] for r in raw_suppliers}
    assert not originals & {r["email"] for r in masked_clients}
    # Shared emails and phones still match after masking, the others still do not.
    raw_pairs = {(r["email"], r["phone"]) for r in raw_clients}
    masked_pairs = {(r["email"], r["phone"]) for r in masked_clients}
    shared_raw = sum((r["contact_email"], r["contact_phone"]) in raw_pairs for r in raw_suppliers)
    shared_masked = sum(
        (r["contact_email"], r["contact_phone"]) in masked_pairs for r in masked_suppliers
    )
    assert shared_raw == shared_masked >= 10
    audit = c.masked.audit()
    assert audit["email"] == {"kind": "email", "strategy": "email", "values": 240}
    assert set(audit) == {"business_name", "email", "phone", "address_line1", "city", "postal_code"}


def test_audit_record_never_holds_values(
    clients: Table, session: MaskingSession, tmp_path: Path
) -> None:
    settings = resolve_settings(env="staging", database_url="sqlite:///x.db", environ={})
    prepared = prepare_source(
        open_source(DATA / "clients.csv", clients), clients, settings, session=session
    )
    assert prepared.masked is not None
    rows = _all(prepared.source)
    record = masking_record([prepared.masked], settings=settings, revision="s005", run_id="r1")
    assert record["tables"]["clients"]["phone"] == {
        "kind": "phone",
        "strategy": "phone",
        "values": 240,
    }
    assert record["key_fingerprints"] == [KEY.fingerprint]
    path = tmp_path / "audit.jsonl"
    emit(record, path)
    written = path.read_text()
    assert json.loads(written)["revision"] == "s005"
    raw = _all(open_source(DATA / "clients.csv", clients))
    for value in (rows[0]["email"], raw[0]["email"], raw[0]["phone"], "unit-test-masking-key"):
        assert str(value) not in written


def test_production_is_refused_without_authorisation(clients: Table) -> None:
    settings = resolve_settings(env="production", database_url=PROD_URL, environ={})
    with pytest.raises(Refused):
        prepare_source(open_source(DATA / "clients.csv", clients), clients, settings, environ={})
    authorised_flag_only = resolve_settings(
        env="production", database_url=PROD_URL, allow_production=True, environ={}
    )
    with pytest.raises(Refused, match=ALLOW_PRODUCTION_VAR):
        prepare_source(
            open_source(DATA / "clients.csv", clients), clients, authorised_flag_only, environ={}
        )


def test_authorised_production_loads_unmasked_and_says_so(clients: Table) -> None:
    settings = resolve_settings(
        env="production", database_url=PROD_URL, allow_production=True, environ={}
    )
    source = open_source(DATA / "clients.csv", clients)
    prepared = prepare_source(
        source, clients, settings, revision="s005", environ={ALLOW_PRODUCTION_VAR: "terp_prod"}
    )
    assert prepared.masked is None
    assert prepared.source is source
    assert prepared.skipped is not None
    record = prepared.skipped.as_dict()
    assert record["reason"] == "production authorised"
    assert record["revision"] == "s005"
    assert record["authorised_by"]
    assert "email" in record["pii_columns"]
    assert (
        _all(prepared.source)[0]["email"]
        == _all(open_source(DATA / "clients.csv", clients))[0]["email"]
    )


def test_a_pii_column_without_strategy_stops_before_any_row(clients: Table) -> None:
    settings = resolve_settings(env="development", database_url="sqlite://", environ={})
    with pytest.raises(UnmaskedPII):
        prepare_source(
            open_source(DATA / "clients.csv", clients),
            clients,
            settings,
            overrides={"email": "keep"},
        )


def test_the_key_is_required_in_staging_and_never_shown() -> None:
    with pytest.raises(ConfigurationError, match=KEY_VAR):
        masking_key("staging", {})
    with pytest.raises(ConfigurationError, match="too short"):
        masking_key("staging", {KEY_VAR: "short"})
    secret = "a-long-and-random-staging-secret"
    key = masking_key("staging", {KEY_VAR: secret})
    assert secret not in repr(key)
    assert secret not in str(key)
    assert (
        masking_key("development", {}).fingerprint
        == masking_key("test", {KEY_VAR: DEVELOPMENT_KEY}).fingerprint
    )


def test_the_development_default_key_is_logged_without_the_key(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from seedlib import log

    log.configure("json")
    masking_key("development", {})
    logged = capsys.readouterr().err
    assert "masking_default_key" in logged
    assert DEVELOPMENT_KEY not in logged
