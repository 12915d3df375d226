"""Write the fictional TERP customer list: ``clients.csv`` and ``supplier_profiles.csv``.

    python examples/terp/data/make_data.py

Every value comes from Faker with a fixed seed, so the files are the same on every run (with the
same Faker version). The people and companies are invented, but look real: that is the point of
masking them. About a third of the supplier contacts share the email or phone of their client,
so masking must keep those joins.
"""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

from faker import Faker

HERE = Path(__file__).resolve().parent
SEED = 20240501
CLIENTS = 240
BUSINESS_TYPES = ("DISPENSARY", "DISTRIBUTOR", "CULTIVATOR", "MANUFACTURER", "RETAILER")
CLIENT_COLUMNS = (
    "id",
    "client_code",
    "business_name",
    "email",
    "phone",
    "address_line1",
    "city",
    "state",
    "postal_code",
    "business_type",
    "is_buyer",
    "is_seller",
    "credit_limit",
    "referred_by_id",
)
SUPPLIER_COLUMNS = (
    "id",
    "client_id",
    "contact_name",
    "contact_email",
    "contact_phone",
    "tax_id",
    "license_number",
)


def _phone(fake: Faker) -> str:
    area = fake.random_int(201, 989)
    exchange = fake.random_int(200, 999)
    line = fake.random_int(0, 9999)
    shape = fake.random_int(0, 2)
    if shape == 0:
        return f"({area}) {exchange}-{line:04d}"
    if shape == 1:
        return f"{area}-{exchange}-{line:04d}"
    return f"+1 {area}.{exchange}.{line:04d}"


def clients(fake: Faker) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    emails: set[str] = set()
    for i in range(1, CLIENTS + 1):
        company = fake.unique.company()
        domain = fake.domain_name()
        email = f"{fake.user_name()}@{domain}"
        while email in emails:
            email = f"{fake.user_name()}{fake.random_int(1, 99)}@{domain}"
        emails.add(email)
        is_seller = fake.random_int(0, 99) < 45
        rows.append(
            {
                "id": str(i),
                "client_code": f"CL-{i:05d}",
                "business_name": company,
                "email": email,
                "phone": _phone(fake),
                "address_line1": fake.street_address(),
                "city": fake.city(),
                "state": fake.state_abbr(include_territories=False),
                "postal_code": fake.zipcode_plus4()
                if fake.random_int(0, 4) == 0
                else fake.zipcode(),
                "business_type": fake.random_element(BUSINESS_TYPES),
                "is_buyer": "true" if not is_seller or fake.boolean() else "false",
                "is_seller": "true" if is_seller else "false",
                "credit_limit": str(Decimal(fake.random_int(0, 500)) * 100),
                "referred_by_id": str(fake.random_int(1, i - 1))
                if i > 10 and fake.random_int(0, 3) == 0
                else "",
            }
        )
    return rows


def supplier_profiles(fake: Faker, client_rows: list[dict[str, str]]) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for client in client_rows:
        if client["is_seller"] != "true":
            continue
        shared = fake.random_int(0, 2) == 0
        rows.append(
            {
                "id": str(len(rows) + 1),
                "client_id": client["id"],
                "contact_name": fake.name(),
                "contact_email": client["email"]
                if shared
                else f"{fake.unique.user_name()}@{fake.domain_name()}",
                "contact_phone": client["phone"] if shared else _phone(fake),
                "tax_id": fake.unique.ein(),
                "license_number": f"C{fake.random_element((9, 10, 11, 12))}-"
                f"{fake.unique.random_int(1, 9_999_999):07d}-LIC",
            }
        )
    return rows


def write(path: Path, columns: tuple[str, ...], rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def main() -> None:
    fake = Faker("en_US")
    fake.seed_instance(SEED)
    client_rows = clients(fake)
    write(HERE / "clients.csv", CLIENT_COLUMNS, client_rows)
    write(HERE / "supplier_profiles.csv", SUPPLIER_COLUMNS, supplier_profiles(fake, client_rows))


if __name__ == "__main__":
    main()
