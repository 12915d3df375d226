"""Sources: typed rows by ordinal; malformed input names file and line, and yields nothing."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Table, create_engine, text

from seedlib.db import normalise_url
from seedlib.exceptions import ConfigurationError
from seedlib.mask.sources import (
    CsvSource,
    DatabaseSource,
    JsonLinesSource,
    RowSource,
    SourceError,
    open_source,
)

DATA = Path(__file__).resolve().parents[3] / "examples" / "terp" / "data"
HEADER = (
    "id,client_code,business_name,email,phone,address_line1,city,state,postal_code,"
    "business_type,is_buyer,is_seller,credit_limit,referred_by_id\n"
)
GOOD = (
    "1,CL-1,Acme LLC,a@b.com,(415) 555-0101,1 Main St,Springfield,CA,94107,"
    "RETAILER,true,false,10.50,\n"
)
SOURCE_COLUMNS = {
    "code": "VARCHAR(16)",
    "company": "VARCHAR(200)",
    "mail": "VARCHAR(255)",
    "tel": "VARCHAR(32)",
    "street": "VARCHAR(200)",
    "town": "VARCHAR(100)",
    "st": "VARCHAR(2)",
    "zip": "VARCHAR(10)",
    "kind": "VARCHAR(16)",
    "limit_usd": "NUMERIC(12, 2)",
}


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def test_terp_csv_files_load_typed(clients: Table, suppliers: Table) -> None:
    source = open_source(DATA / "clients.csv", clients)
    assert isinstance(source, RowSource)
    assert source.count() >= 200
    first = source.rows(0, 1)[0]
    assert first["id"] == 1
    assert isinstance(first["credit_limit"], Decimal)
    assert isinstance(first["is_buyer"], bool)
    assert first["business_type"] in {
        "DISPENSARY",
        "DISTRIBUTOR",
        "CULTIVATOR",
        "MANUFACTURER",
        "RETAILER",
    }
    profiles = open_source(DATA / "supplier_profiles.csv", suppliers)
    client_emails = {r["email"] for r in source.rows(0, source.count())}
    shared = [r for r in profiles.rows(0, profiles.count()) if r["contact_email"] in client_emails]
    assert len(shared) >= 10


def test_rows_by_ordinal_stream_in_batches(tmp_path: Path, clients: Table) -> None:
    lines = [GOOD.replace("1,CL-1", f"{i},CL-{i}", 1) for i in range(1, 26)]
    source = CsvSource(write(tmp_path, "c.csv", HEADER + "".join(lines)), clients)
    assert source.count() == 25
    ids = [r["id"] for start in range(0, 25, 10) for r in source.rows(start, min(25, start + 10))]
    assert ids == list(range(1, 26))
    assert [r["id"] for r in source.rows(3, 5)] == [4, 5]  # going back reopens the file
    assert source.rows(24, 40)[0]["id"] == 25
    assert source.rows(25, 30) == []


def test_mapping_renames_and_drops_columns(tmp_path: Path, clients: Table) -> None:
    header = HEADER.replace("business_name", "company").replace("\n", ",internal_note\n")
    path = write(tmp_path, "c.csv", header + GOOD.replace("\n", ",secret\n"))
    source = CsvSource(path, clients, {"company": "business_name", "internal_note": None})
    row = source.rows(0, 1)[0]
    assert row["business_name"] == "Acme LLC"
    assert "internal_note" not in row
    assert "company" not in row


@pytest.mark.parametrize(
    ("content", "line", "reason"),
    [
        (HEADER + GOOD + "2,CL-2,Too,few\n", 3, "4 fields where the header has 14"),
        (HEADER + GOOD + GOOD.replace("10.50", "ten"), 3, "credit_limit: 'ten' is not a number"),
        (HEADER + GOOD.replace("RETAILER", "SHOP"), 2, "business_type: 'SHOP' is not one of"),
        (HEADER + GOOD.replace("true", "perhaps"), 2, "is_buyer: 'perhaps' is not a boolean"),
        (HEADER + GOOD + '3,"CL-3,unterminated\n', 3, "bad CSV"),
        (HEADER.replace("client_code", "code"), 1, "column(s) code are not in table clients"),
        (
            HEADER.replace("client_code,", "") + GOOD.replace("CL-1,", ""),
            1,
            "required column(s) missing: client_code",
        ),
        (HEADER + GOOD.replace("CL-1", "C" * 17), 2, "longer than the column's 16"),
    ],
)
def test_malformed_csv_names_file_and_line(
    tmp_path: Path, clients: Table, content: str, line: int, reason: str
) -> None:
    path = write(tmp_path, "bad.csv", content)
    with pytest.raises(SourceError) as caught:
        open_source(path, clients)
    assert caught.value.line == line
    assert caught.value.exit_code == 7
    assert str(caught.value).startswith(f"{path}, line {line}: ")
    assert reason in str(caught.value)
    assert "nothing of its revision was loaded" in str(caught.value)


def test_bad_encoding_names_the_line_and_nothing_is_returned(
    tmp_path: Path, clients: Table
) -> None:
    body = (HEADER + GOOD + GOOD.replace("1,CL-1", "2,CL-2", 1)).encode()
    body = body.replace(b"Springfield", b"Spr\xe9ngfield", 2).replace(
        b"Spr\xe9ngfield", b"Springfield", 1
    )
    path = write(tmp_path, "latin.csv", body)
    source = CsvSource(path, clients)
    with pytest.raises(SourceError, match=r"latin\.csv, line 3: not valid utf-8"):
        source.rows(0, 1)  # validation runs first: not even row 1 is handed out
    assert CsvSource(path, clients, encoding="latin-1").rows(1, 2)[0]["city"] == "Spréngfield"


def test_jsonl_source_and_its_errors(tmp_path: Path, suppliers: Table) -> None:
    good = {
        "id": 1,
        "client_id": 7,
        "contact_name": "Ann Lee",
        "contact_email": "ann@lee.com",
        "contact_phone": "415-555-0101",
        "tax_id": "12-3456789",
        "license_number": "C11-0000001-LIC",
        "created_at": "2024-02-03T04:05:06",
    }
    path = write(
        tmp_path, "s.jsonl", json.dumps(good) + "\n\n" + json.dumps({**good, "id": 2}) + "\n"
    )
    source = JsonLinesSource(path, suppliers)
    rows = source.rows(0, 5)
    assert [r["id"] for r in rows] == [1, 2]
    assert rows[0]["created_at"] == dt.datetime(2024, 2, 3, 4, 5, 6)
    cases = [
        (json.dumps(good) + "\n{not json\n", 2, "bad JSON"),
        (json.dumps(good) + "\n[1, 2]\n", 2, "expected a JSON object"),
        (
            json.dumps(good) + "\n" + json.dumps({**good, "extra": 1}) + "\n",
            2,
            "unexpected key(s) extra",
        ),
        (
            json.dumps(good)
            + "\n"
            + json.dumps({k: v for k, v in good.items() if k != "tax_id"})
            + "\n",
            2,
            "column 'tax_id' is missing",
        ),
        (json.dumps({**good, "client_id": None}) + "\n", 1, "client_id: a value is required"),
    ]
    for content, line, reason in cases:
        bad = write(tmp_path, "bad.jsonl", content)
        with pytest.raises(SourceError) as caught:
            open_source(bad, suppliers)
        assert caught.value.line == line, content
        assert reason in str(caught.value)


def test_missing_file_and_unknown_format_are_usage_errors(tmp_path: Path, clients: Table) -> None:
    with pytest.raises(ConfigurationError, match="does not exist"):
        open_source(tmp_path / "nope.csv", clients)
    with pytest.raises(ConfigurationError, match="unknown source"):
        open_source(write(tmp_path, "x.xml", "<x/>"), clients)


def test_database_source_streams_a_table_or_a_query(db_url: str, clients: Table) -> None:
    engine = create_engine(normalise_url(db_url))
    with engine.begin() as conn:
        columns = ", ".join(f"{n} {t}" for n, t in SOURCE_COLUMNS.items())
        conn.execute(text(f"CREATE TABLE crm_customers (id INTEGER PRIMARY KEY, {columns})"))
        conn.execute(
            text(
                "INSERT INTO crm_customers VALUES (:i, :c, 'Acme LLC', :m, '415-555-0101', "
                "'1 Main St', 'Springfield', 'CA', '94107', 'RETAILER', 12.5)"
            ),
            [{"i": i, "c": f"CL-{i}", "m": f"p{i}@corp.com"} for i in range(1, 1201)],
        )
    engine.dispose()
    mapping = {
        "code": "client_code",
        "company": "business_name",
        "mail": "email",
        "tel": "phone",
        "street": "address_line1",
        "town": "city",
        "st": "state",
        "zip": "postal_code",
        "kind": "business_type",
        "limit_usd": "credit_limit",
    }
    with DatabaseSource(
        db_url, clients, mapping, source_table="crm_customers", batch_rows=100
    ) as source:
        assert source.count() == 1200
        batches = [source.rows(s, s + 500) for s in range(0, 1200, 500)]
        assert [len(b) for b in batches] == [500, 500, 200]
        assert batches[2][-1]["email"] == "p1200@corp.com"
        assert batches[0][0]["credit_limit"] == Decimal("12.50")
    query = f"SELECT id, {', '.join(SOURCE_COLUMNS)} FROM crm_customers WHERE id > 1100 ORDER BY id"
    source = open_source(db_url, clients, mapping, query=query)
    assert isinstance(source, DatabaseSource)
    try:
        assert source.count() == 100
        assert source.rows(0, 1)[0]["client_code"] == "CL-1101"
    finally:
        source.dispose()
    with pytest.raises(SourceError, match="are not in table clients"):
        open_source(db_url, clients, source_table="crm_customers")
    engine = create_engine(normalise_url(db_url))
    with engine.begin() as conn:
        conn.execute(text("UPDATE crm_customers SET kind = 'SHOP' WHERE id = 777"))
    engine.dispose()
    with pytest.raises(SourceError, match=r"crm_customers, row 777: kind: 'SHOP' is not one of"):
        open_source(db_url, clients, mapping, source_table="crm_customers")
    with pytest.raises(ConfigurationError, match="not found"):
        open_source(db_url, clients, source_table="missing_table")


def test_a_bad_query_is_a_one_line_error(db_url: str, clients: Table) -> None:
    engine = create_engine(normalise_url(db_url))
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE fix_pii_crm (id INTEGER PRIMARY KEY, name VARCHAR(40))"))
    engine.dispose()
    with pytest.raises(ConfigurationError) as caught:
        open_source(db_url, clients, query="SELECT id, nam FROM fix_pii_crm")
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("cannot read the source ")
    assert "nam" in message.split(" query: ", 1)[1]
