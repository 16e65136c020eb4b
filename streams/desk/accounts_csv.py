"""Read an accounts CSV file into known accounts, with an error per bad line."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from streams.logic.accounts import KnownAccount
from streams.logic.normalise import nfkc, normalise_country
from streams.logic.people import parse_employees

COLUMNS = ("domain", "name", "owner", "segment", "employees", "industry", "country")


def clean_domain(raw: str) -> str | None:
    """Return a bare lower-case domain from a domain, URL or email address."""
    text = nfkc(raw).lower()
    text = text.split("://", 1)[-1].split("/", 1)[0].rsplit("@", 1)[-1]
    text = text.removeprefix("www.").strip(".")
    return text or None


def read_accounts(path: Path) -> tuple[list[KnownAccount], list[str]]:
    """Parse the file; return the accounts and one message per bad line (file:line: problem)."""
    try:
        text = path.read_text("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        return [], [f"{path}: cannot read: {exc}"]
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    unknown = [h for h in header if h not in COLUMNS]
    if "name" not in header or unknown:
        return [], [
            f"{path}:1: header must name columns from {', '.join(COLUMNS)} "
            f"(name required); unknown: {unknown}"
        ]
    reader.fieldnames = header
    out: list[KnownAccount] = []
    errors: list[str] = []
    for row in reader:
        line = reader.line_num
        cell = {k: nfkc(v or "") for k, v in row.items() if k in COLUMNS}
        if not cell.get("name"):
            errors.append(f"{path}:{line}: name is empty")
            continue
        employees = parse_employees(cell["employees"]) if cell.get("employees") else None
        if cell.get("employees") and employees is None:
            errors.append(f"{path}:{line}: employees {cell['employees']!r} is not a number or range")
            continue
        country = normalise_country(cell["country"]) if cell.get("country") else None
        if cell.get("country") and country is None:
            errors.append(f"{path}:{line}: country {cell['country']!r} is not a known country")
            continue
        out.append(
            KnownAccount(
                name=cell["name"],
                domain=clean_domain(cell.get("domain", "")),
                owner=cell.get("owner") or None,
                segment=cell.get("segment") or None,
                employees=employees,
                industry=cell.get("industry") or None,
                country=country,
            )
        )
    return out, errors
