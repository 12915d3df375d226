"""MariaDB/MySQL loaders and drivers on the same pre-built rows, in one run.

    python -m benchmarks.mysql_loaders [--rows 200000] [--server mysql://root@127.0.0.1:3306]

Compares PyMySQL and mysqlclient (when installed) executemany — which both rewrite an INSERT into
multi-row statements — and LOAD DATA LOCAL INFILE. Writes benchmarks/results/mysql_loaders.json.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import os
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from benchmarks.run import prebuilt

RESULTS = Path(__file__).parent / "results" / "mysql_loaders.json"
DDL = (
    "CREATE TABLE bench_clients (id INT PRIMARY KEY, client_code VARCHAR(16) UNIQUE NOT NULL,"
    " business_name VARCHAR(200) NOT NULL, email VARCHAR(255) NOT NULL, phone VARCHAR(32) NOT NULL,"
    " address_line1 VARCHAR(200) NOT NULL, city VARCHAR(100) NOT NULL, state CHAR(2) NOT NULL,"
    " postal_code VARCHAR(10) NOT NULL, credit_limit DECIMAL(12,2) NOT NULL, notes VARCHAR(200))"
)
COLUMNS = (
    "id, client_code, business_name, email, phone, address_line1, city, state, postal_code,"
    " credit_limit, notes"
)


def timed_load(url: str, data: list[tuple[Any, ...]], how: str) -> float:
    engine = create_engine(url, connect_args={"local_infile": True} if how == "load_data" else {})
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS bench_clients"))
            conn.execute(text(DDL))
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            started = time.perf_counter()
            if how == "load_data":
                with tempfile.NamedTemporaryFile("w", suffix=".tsv", delete=False, newline="") as f:
                    writer = csv.writer(f, delimiter="\t", lineterminator="\n")
                    for row in data:
                        writer.writerow(["\\N" if v is None else v for v in row])
                cursor.execute(
                    f"LOAD DATA LOCAL INFILE '{f.name}' INTO TABLE bench_clients "
                    f"FIELDS TERMINATED BY '\\t' LINES TERMINATED BY '\\n' ({COLUMNS})"
                )
                os.unlink(f.name)
            else:
                placeholders = ", ".join(["%s"] * 11)
                cursor.executemany(
                    f"INSERT INTO bench_clients ({COLUMNS}) VALUES ({placeholders})", data
                )
            raw.commit()
            return time.perf_counter() - started
        finally:
            raw.close()
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--server", default="mysql://root@127.0.0.1:3306")
    args = parser.parse_args()
    name = f"seedlib_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(f"{args.server.replace('mysql://', 'mysql+pymysql://')}/mysql")
    with admin.begin() as conn:
        conn.execute(text(f"CREATE DATABASE {name} CHARACTER SET utf8mb4"))
    data = prebuilt(args.rows)
    results: dict[str, float] = {}
    try:
        drivers = ["pymysql"] + (["mysqldb"] if importlib.util.find_spec("MySQLdb") else [])
        for driver in drivers:
            url = f"{args.server.replace('mysql://', f'mysql+{driver}://')}/{name}?charset=utf8mb4"
            for how in ("executemany", "load_data"):
                results[f"{driver}_{how}"] = timed_load(url, data, how)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP DATABASE {name}"))
        admin.dispose()
    report = {
        "rows": args.rows,
        "seconds": {k: round(v, 3) for k, v in results.items()},
        "rows_per_s": {k: round(args.rows / v) for k, v in results.items()},
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
