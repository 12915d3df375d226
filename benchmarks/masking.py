"""Masking throughput per PII kind, against two baselines measured in the same run.

    python -m benchmarks.masking [--values 100000]

For every kind, ``--values`` distinct realistic originals are masked through a column masker (the
path a masked source uses: normalise, keyed BLAKE2b, masker, collision bookkeeping). Baselines:
the bare keyed BLAKE2b hex digest of each value (the floor: hashing alone, not realistic) and
replacing each value by a fresh Faker call (realistic, not deterministic per value). Results go
to benchmarks/results/masking.json and .md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import platform
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from faker import Faker

from seedlib.mask.keys import MaskingKey
from seedlib.mask.policy import ColumnRule, PiiKind
from seedlib.mask.session import MaskingSession

RESULTS = Path(__file__).parent / "results"


def originals(kind: str, n: int) -> list[Any]:
    """``n`` distinct, realistic-looking values of ``kind`` (cheap to build)."""
    first = ["James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda"]
    last = ["Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis"]
    build: dict[str, Callable[[int], Any]] = {
        "person_name": lambda i: f"{first[i % 8]} {last[(i >> 3) % 8]}{i}",
        "first_name": lambda i: f"{first[i % 8]}{i}",
        "last_name": lambda i: f"{last[i % 8]}{i}",
        "company_name": lambda i: f"{last[i % 8]} {last[(i >> 3) % 8]} {i} LLC",
        "email": lambda i: (
            f"{first[i % 8].lower()}.{last[(i >> 3) % 8].lower()}{i}@corp{i % 97}.com"
        ),
        "phone": lambda i: f"({200 + i % 800}) {200 + (i // 800) % 800}-{i % 10000:04d}",
        "street_address": lambda i: f"{i % 9999 + 1} {last[i % 8]} Street Apt. {i}",
        "city": lambda i: f"{last[i % 8]}ville {i}",
        "postal_code": lambda i: f"{i % 99999 + 1:05d}",
        "tax_id": lambda i: f"{10 + i % 89:02d}-{i:07d}",
        "license_number": lambda i: f"C11-{i:07d}-LIC",
        "ip_address": lambda i: f"192.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}",
        "date_of_birth": lambda i: dt.date(1950, 1, 1) + dt.timedelta(days=i % 20000),
        "card_number": lambda i: f"4111 {i % 10000:04d} {(i // 10000) % 10000:04d} 1111",
        "free_text": lambda i: (
            f"Call {first[i % 8]} at (415) 555-{i % 10000:04d} or "
            f"{first[i % 8].lower()}{i}@corp.com about order {i}."
        ),
    }
    return [build[kind](i) for i in range(n)]


def rate(function: Callable[[Any], Any], values: list[Any]) -> float:
    started = time.perf_counter()
    for value in values:
        function(value)
    return len(values) / (time.perf_counter() - started)


def faker_baseline(kind: str) -> Callable[[Any], Any]:
    fake = Faker("en_US")
    fake.seed_instance(0)
    calls: dict[str, Callable[[], Any]] = {
        "person_name": fake.name,
        "first_name": fake.first_name,
        "last_name": fake.last_name,
        "company_name": fake.company,
        "email": fake.email,
        "phone": fake.phone_number,
        "street_address": fake.street_address,
        "city": fake.city,
        "postal_code": fake.postcode,
        "tax_id": fake.ein,
        "license_number": lambda: fake.bothify("C##-#######-LIC"),
        "ip_address": fake.ipv4,
        "date_of_birth": fake.date_of_birth,
        "card_number": fake.credit_card_number,
        "free_text": fake.sentence,
    }
    call = calls[kind]
    return lambda _value: call()


def run(n: int) -> dict[str, Any]:
    key = MaskingKey("benchmark-masking-key-0123456789")
    material = key.material

    def blake2_hex(value: Any) -> str:
        return hashlib.blake2b(str(value).encode(), key=material, digest_size=16).hexdigest()

    kinds: dict[str, dict[str, float]] = {}
    for kind in PiiKind:
        values = originals(kind.value, n)
        session = MaskingSession(key)
        mask = session.column_masker(ColumnRule("c", kind.value, kind.value, length=255))
        mask(values[0])  # build the vocabulary outside the timing
        session = MaskingSession(key, vocabulary=session.vocabulary)
        mask = session.column_masker(ColumnRule("c", kind.value, kind.value, length=255))
        kinds[kind.value] = {
            "seedlib_per_s": round(rate(mask, values)),
            "blake2_hex_per_s": round(rate(blake2_hex, values)),
            "faker_per_s": round(rate(faker_baseline(kind.value), values[: max(1, n // 10)])),
        }
    rates = [k["seedlib_per_s"] for k in kinds.values()]
    return {
        "values_per_kind": n,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "processor": platform.processor() or platform.machine(),
        "kinds": kinds,
        "slowest_kind_per_s": min(rates),
        "median_kind_per_s": sorted(rates)[len(rates) // 2],
    }


def markdown(result: dict[str, Any]) -> str:
    lines = [
        "# Masking throughput (one core)",
        "",
        f"{result['values_per_kind']:,} distinct values per kind, Python {result['python']}, "
        f"{result['machine']}. Baselines measured in the same run.",
        "",
        "| kind | seedlib masked values/s | keyed BLAKE2b hex/s | Faker call per value/s |",
        "| --- | ---: | ---: | ---: |",
    ]
    for kind, r in result["kinds"].items():
        cells = (r["seedlib_per_s"], r["blake2_hex_per_s"], r["faker_per_s"])
        lines.append(f"| {kind} | " + " | ".join(f"{c:,}" for c in cells) + " |")
    lines += [
        "",
        f"Slowest kind: {result['slowest_kind_per_s']:,}/s; median: "
        f"{result['median_kind_per_s']:,}/s.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--values", type=int, default=100_000)
    args = parser.parse_args()
    result = run(args.values)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "masking.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / "masking.md").write_text(markdown(result))
    print(markdown(result))


if __name__ == "__main__":
    main()
