"""Maskers: small callables with one signature, ``(value, h, ctx) -> masked value``.

``value`` is the original (never None or empty: those pass through unmasked), ``h`` 128 bits of
a keyed BLAKE2 hash of the normalised value (see :mod:`seedlib.mask.session`), ``ctx`` the
vocabulary, the column's length and a way to mask embedded values of another kind consistently.
A masker is a pure function of its arguments, so masking is deterministic; the session owns the
key, re-probing on collisions, and the guarantee that no output equals its input.

Every masker keeps the format of what it masks: emails stay valid (on reserved domains), phones
keep their punctuation, names stay names, company names stay company names, postal codes stay
valid for their region, dates of birth stay plausible, and strings fit the column.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any, TypeAlias

from seedlib.exceptions import DataError

#: Domains reserved for documentation by RFC 2606: mail to them can never reach anyone.
RESERVED_DOMAINS = ("example.com", "example.net", "example.org")
REDACTED = "[redacted]"
_COMPANY_SUFFIXES = (
    "Inc",
    "LLC",
    "Group",
    "Ltd",
    "Holdings",
    "Partners",
    "Supply Co.",
    "Distribution",
    "Wholesale",
    "Trading Co.",
)
#: First two digits the IRS assigns to Employer Identification Numbers.
_EIN_PREFIXES = tuple(
    f"{p:02d}"
    for p in [
        *range(1, 7),
        *range(10, 17),
        *range(20, 28),
        *range(30, 49),
        *range(50, 69),
        *range(71, 78),
        *range(80, 89),
        *range(90, 96),
        98,
        99,
    ]
)


def _person_names(attribute: str) -> list[str]:
    from faker.providers.person.en_US import Provider

    return sorted(getattr(Provider, attribute))


class Vocabulary:
    """Realistic words to mask with, built once (deterministically) and shared by maskers; the
    names Faker lists are kept on disk with the value pools."""

    @cached_property
    def first_names(self) -> tuple[str, ...]:
        from seedlib.generate.pools import kept

        return kept("vocabulary-first_names", lambda: _person_names("first_names"))

    @cached_property
    def last_names(self) -> tuple[str, ...]:
        from seedlib.generate.pools import kept

        return kept("vocabulary-last_names", lambda: _person_names("last_names"))

    @cached_property
    def name_words(self) -> frozenset[str]:
        """Lower-cased first and last names, to spot names in free text."""
        return frozenset(n.lower() for n in (*self.first_names, *self.last_names))

    @cached_property
    def email_firsts(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(_ascii_lower(n) for n in self.first_names if _ascii_lower(n)))

    @cached_property
    def email_lasts(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(_ascii_lower(n) for n in self.last_names if _ascii_lower(n)))

    @cached_property
    def streets(self) -> tuple[str, ...]:
        """Street names (and secondary parts) without their house numbers."""
        from seedlib.generate.pools import Pools

        pool = Pools(0).get("street_address")
        return tuple(dict.fromkeys(re.sub(r"^\d+\s+", "", s) for s in pool))

    @cached_property
    def cities(self) -> tuple[str, ...]:
        from seedlib.generate.pools import Pools

        return tuple(dict.fromkeys(Pools(0).get("city")))


#: Dashes and minus signs people (and word processors) put in numbers, read as ``-``.
_DASHES = frozenset("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d")


@lru_cache(maxsize=4096)
def _fold_char(c: str) -> str:
    if c in _DASHES:
        return "-"
    digit = unicodedata.decimal(c, None)
    if digit is not None:
        return str(digit)
    compatible = unicodedata.normalize("NFKC", c)
    return compatible if len(compatible) == 1 and compatible.isascii() else c


def fold(text: str) -> str:
    """``text`` with full-width and other compatibility characters (NFKC), digits of any
    script and Unicode dashes (``‐‑‒–—−``) as their ASCII forms, character for character (so
    positions in ``text`` stay valid); other characters kept."""
    if text.isascii():
        return text
    return "".join(map(_fold_char, text))


def _ascii_lower(text: str) -> str:
    return re.sub(r"[^a-z]", "", text.lower())


@dataclass(frozen=True)
class MaskContext:
    """What a masker may use besides the value and its hash."""

    vocabulary: Vocabulary
    length: int | None = None
    #: ``(strategy, value) -> masked``: masks an embedded value exactly as a column of that
    #: kind would, so an email inside a note maps to the same address as in the email column.
    submask: Callable[[str, Any], Any] | None = None


Masker: TypeAlias = Callable[[Any, int, MaskContext], Any]


def fit(value: str, length: int | None) -> str:
    """``value`` cut to ``length`` characters (trailing spaces dropped)."""
    if length is None or len(value) <= length:
        return value
    return value[:length].rstrip()


def _digit_stream(h: int, n: int) -> str:
    text = f"{h:039d}"
    while len(text) < n:
        text += text[::-1]
    return text[-n:]


def email(value: Any, h: int, ctx: MaskContext) -> str:
    """``first.lastNN@example.org``: valid, on a reserved domain, within the column's length."""
    v = ctx.vocabulary
    firsts, lasts = v.email_firsts, v.email_lasts
    local = f"{firsts[h % len(firsts)]}.{lasts[(h >> 16) % len(lasts)]}{(h >> 32) % 1000}"
    domain = RESERVED_DOMAINS[(h >> 48) % 3]
    if ctx.length is not None and len(local) + 1 + len(domain) > ctx.length:
        room = ctx.length - 1 - len(domain)
        if room < 1:
            return fit(f"{(h >> 56) % 10**8}@{domain}", ctx.length)
        local = local[:room].rstrip(".")
    return f"{local}@{domain}"


_DIGIT = re.compile(r"\d")


def _replace_digits(value: str, digits: str) -> str:
    """``value`` with its digits replaced, in order, by those of ``digits``."""
    out = []
    k = 0
    for c in value:
        if "0" <= c <= "9":
            out.append(digits[k])
            k += 1
        else:
            out.append(c)
    return "".join(out)


_COUNTRY_CODE = re.compile(r"(\+\d{1,3}[\s.-]|1[\s.-])")
#: A national trunk prefix (``020 7946 0018``, ``(030) 1234567``).
_TRUNK = re.compile(r"\(?0")


def _has_digit(text: str) -> bool:
    return _DIGIT.search(text) is not None


def phone(value: Any, h: int, ctx: MaskContext) -> str:
    """Digits replaced, punctuation and a leading country code or trunk 0 kept; NANP numbers
    stay dialable in form (area code and exchange start with 2–9). A value without digits (a
    placeholder such as ``N/A``) becomes a number of the form ``(NXX) NXX-XXXX``."""
    text = str(value)
    if not _has_digit(text):
        text = "(555) 555-5555"
    keep = ""
    body = text
    m = _COUNTRY_CODE.match(text) or _TRUNK.match(text)
    if m:
        keep, body = m.group(0), text[m.end() :]
    n = len(_DIGIT.findall(body))
    digits = list(_digit_stream(h, n))
    if n == 10 and (keep.startswith(("+1", "1")) or not keep):
        for i in (0, 3):
            digits[i] = str(2 + int(digits[i]) % 8)
            if digits[i + 1] == digits[i + 2] == "1":  # N11 codes are service numbers
                digits[i + 2] = "2"
    return fit(keep + _replace_digits(body, "".join(digits)), ctx.length)


def first_name(value: Any, h: int, ctx: MaskContext) -> str:
    names = ctx.vocabulary.first_names
    return fit(names[h % len(names)], ctx.length)


def last_name(value: Any, h: int, ctx: MaskContext) -> str:
    names = ctx.vocabulary.last_names
    return fit(names[h % len(names)], ctx.length)


def person_name(value: Any, h: int, ctx: MaskContext) -> str:
    """``First Last`` (or ``Last, First`` when the original is written that way)."""
    v = ctx.vocabulary
    first = v.first_names[h % len(v.first_names)]
    last = v.last_names[(h >> 20) % len(v.last_names)]
    text = f"{last}, {first}" if "," in str(value) else f"{first} {last}"
    return fit(text, ctx.length)


def company_name(value: Any, h: int, ctx: MaskContext) -> str:
    """A company name (never a person's): ``Last Suffix``, ``Last & Last Suffix`` or
    ``Last-Last Suffix``."""
    lasts = ctx.vocabulary.last_names
    a = lasts[h % len(lasts)]
    b = lasts[(h >> 20) % len(lasts)]
    suffix = _COMPANY_SUFFIXES[(h >> 40) % len(_COMPANY_SUFFIXES)]
    shape = (h >> 48) % 3
    text = (
        f"{a} {suffix}"
        if shape == 0
        else f"{a} & {b} {suffix}"
        if shape == 1
        else f"{a}-{b} {suffix}"
    )
    return fit(text, ctx.length)


def street_address(value: Any, h: int, ctx: MaskContext) -> str:
    streets = ctx.vocabulary.streets
    return fit(f"{1 + (h >> 24) % 9999} {streets[h % len(streets)]}", ctx.length)


def city(value: Any, h: int, ctx: MaskContext) -> str:
    cities = ctx.vocabulary.cities
    return fit(cities[h % len(cities)], ctx.length)


def _same_class(value: str, h: int, keep: int) -> str:
    """Characters after the first ``keep`` replaced by ones of the same class (digit, upper,
    lower); punctuation and spaces kept."""
    out = list(value)
    stream = _digit_stream(h, max(1, len(value)) * 2)
    for i, c in enumerate(value):
        if i < keep:
            continue
        d = int(stream[2 * i : 2 * i + 2])
        if c.isdigit():
            out[i] = str(d % 10)
        elif "A" <= c <= "Z":
            out[i] = chr(65 + d % 26)
        elif "a" <= c <= "z":
            out[i] = chr(97 + d % 26)
    return "".join(out)


def postal_code(value: Any, h: int, ctx: MaskContext) -> str:
    """US ZIP and ZIP+4 stay valid and in the same region (first digit kept); other formats
    keep their first character and shape; a value without digits becomes a ZIP code."""
    text = str(value).strip()
    if not _has_digit(text):
        text = f"{1 + h % 9}0000"  # a placeholder such as "N/A": a ZIP code
    m = re.fullmatch(r"(\d)(\d{4})(-\d{4})?", text)
    if m:
        rest = (h % 10**4) if m.group(1) != "0" else 501 + h % (10**4 - 501)
        zip5 = f"{m.group(1)}{rest:04d}"
        plus = f"-{1 + (h >> 20) % 9999:04d}" if m.group(3) else ""
        return fit(zip5 + plus, ctx.length)
    return fit(_same_class(text, h, keep=1), ctx.length)


def tax_id(value: Any, h: int, ctx: MaskContext) -> str:
    """EINs (``NN-NNNNNNN``) keep a valid IRS prefix; SSNs (``NNN-NN-NNNN``, spaced or nine
    digits) avoid the area, group and serial numbers never issued; anything else keeps its
    shape; a value without digits becomes an EIN."""
    text = str(value).strip()
    if not _has_digit(text):
        text = "00-0000000"  # a placeholder such as "N/A": an EIN
    if re.fullmatch(r"\d{2}-\d{7}", text):
        return fit(f"{_EIN_PREFIXES[h % len(_EIN_PREFIXES)]}-{(h >> 8) % 10**7:07d}", ctx.length)
    ssn = re.fullmatch(r"\d{3}([- ]?)\d{2}\1\d{4}", text)
    if ssn:
        area = 1 + h % 899
        area = 667 if area == 666 else area
        group = 1 + (h >> 12) % 99
        serial = 1 + (h >> 24) % 9999
        sep = ssn.group(1)
        return fit(f"{area:03d}{sep}{group:02d}{sep}{serial:04d}", ctx.length)
    return fit(_same_class(text, h, keep=0), ctx.length)


_LICENCE_TYPE = re.compile(r"^[A-Za-z]{1,3}\d{0,3}[-\s]")


def license_number(value: Any, h: int, ctx: MaskContext) -> str:
    """A leading type code (``C11-`` in ``C11-0000123-LIC``) and letters kept, digits replaced;
    a value without digits (``N/A``, ``unknown``) becomes a licence ``LIC-NNNNNNN``."""
    text = str(value)
    if not _has_digit(text):
        return fit(f"LIC-{h % 10**7:07d}", ctx.length)
    code = _LICENCE_TYPE.match(text)
    keep = code.group(0) if code else ""
    body = text[len(keep) :]
    if any(c.isdigit() for c in body):
        return fit(keep + _replace_digits(body, _digit_stream(h, len(body))), ctx.length)
    return fit(keep + _same_class(body, h, keep=0), ctx.length)


#: A digit's contribution to the Luhn sum when doubled.
_DOUBLED = {str(d): d * 2 - 9 if d > 4 else d * 2 for d in range(10)}


def _luhn_digit(payload: str) -> str:
    """The check digit that makes ``payload`` + it Luhn-valid."""
    doubled = payload[::-1][::2]
    kept = payload[::-1][1::2]
    total = sum(map(_DOUBLED.__getitem__, doubled)) + sum(map(int, kept))
    return str(-total % 10)


def card_number(value: Any, h: int, ctx: MaskContext) -> str:
    """Same network (first digit) and grouping, new digits, a valid Luhn check digit."""
    text = str(value)
    digits = _DIGIT.findall(text)
    if not digits:
        text = "4000 0000 0000 0000"  # a placeholder such as "N/A": a card number
        digits = _DIGIT.findall(text)
    if len(digits) < 2:
        return fit(_same_class(text, h, keep=0), ctx.length)
    body = digits[0] + _digit_stream(h, len(digits) - 2)
    return fit(_replace_digits(text, body + _luhn_digit(body)), ctx.length)


def ip_address(value: Any, h: int, ctx: MaskContext) -> str:
    """IPv4 → 10.0.0.0/8 (private), IPv6 → 2001:db8::/32 (documentation)."""
    try:
        parsed = ipaddress.ip_address(str(value).strip())
    except ValueError:
        parsed = None
    if parsed is not None and parsed.version == 6:
        masked: Any = ipaddress.IPv6Address((0x20010DB8 << 96) | (h & ((1 << 96) - 1)))
    else:
        masked = ipaddress.IPv4Address((10 << 24) | (h & 0xFFFFFF))
    return fit(str(masked), ctx.length)


def date_of_birth(value: Any, h: int, ctx: MaskContext) -> Any:
    """Moved 1–365 days earlier: still plausible, and an adult stays an adult."""
    shift = dt.timedelta(days=1 + h % 365)
    if isinstance(value, dt.date):  # datetime is a date too
        return value - shift
    text = str(value).strip()
    if not _has_digit(text):  # a placeholder such as "unknown": a date of birth
        return (dt.date(1950, 1, 1) + dt.timedelta(days=h % 18_262)).isoformat()
    try:
        parsed = dt.date.fromisoformat(text[:10])
    except ValueError:
        return fit(_same_class(text, h, keep=0), ctx.length)
    return (parsed - shift).isoformat() + text[10:]


#: The look-behind only spares the engine retrying inside a word; matches are the same.
_EMAIL = r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"
_CARD = r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)"
#: SSNs dashed, spaced or as nine digits standing alone (not part of a longer number, a
#: decimal or a dashed code), and dashed EINs.
_SSN = (
    r"(?<![\d.,-])(?:\d{3}-\d{2}-\d{4}|\d{3} \d{2} \d{4}|\d{9}|\d{2}-\d{7})"
    r"(?![\d-]|[.,]\d)"
)
#: North American numbers, ``+CC`` international numbers in groups (``+44 20 7946 0018``,
#: ``+33 (0)1 23 45 67 89``) and national numbers with a trunk 0 (``020 7946 0018``); a match
#: counts as a phone only with :data:`PHONE_DIGITS` digits.
_PHONE = (
    r"(?<![\w+])(?:"
    r"\+\d{1,3}(?:[\s.-]?\(?\d{1,5}\)?){2,6}"
    r"|\(?\d{3}\)?[\s.-]?\d{3}[\s.-]?\d{4}"
    r"|\(?0\d{1,4}\)?[\s.-]?\d{2,4}(?:[\s.-]?\d{2,4}){1,3}"
    r")(?!\w|[.,]\d)"
)
#: Digits of a phone number: 8 to 15 (the ITU maximum); national ones (trunk 0) at least 9,
#: so that dates like ``01.12.2024`` stay dates.
PHONE_DIGITS = range(8, 16)
_NATIONAL_DIGITS = range(9, 16)
#: A national number (trunk 0) must show a separator between its groups (``020 7946 0018``,
#: ``(030) 1234567``) unless one of these words comes shortly before it: ``Order 0001234567``
#: and ``PO 0123456789`` are references, ``call 02079460018`` is a phone number.
_PHONE_CUE = re.compile(
    r"\b(?:tel|telephone|phone|ph|call|called|mobile|mob|cell|fax|whatsapp|sms)\b", re.IGNORECASE
)
_CUE_WINDOW = 24
_GROUPED = re.compile(r"[\s.)-]")
#: An IBAN (``DE89 3704 0044 0532 0130 00``): left alone, so its digit groups are not taken
#: for a phone number.
_IBAN = r"(?<!\w)[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?(?!\w)"
#: A capitalised, camel-case (``McDonald``) or all-caps word, with an apostrophe part
#: (``O'Brien``, ``Smith's``); hyphenated names are matched part by part.
_WORD = r"(?<![\w'’])[A-ZÀ-ÖØ-Þ][^\W\d_]*(?:['’][^\W\d_]+){0,2}(?![\w'’])"
#: Everything free text may embed, in one pass; at one position the earlier kind wins. The
#: look-aheads skip the digit kinds where no digit starts and names where no capital does
#: (the same matches, 1.7 times as fast).
_DIGIT_KINDS = f"(?=[\\d+(])(?:(?P<card>{_CARD})|(?P<tax_id>{_SSN})|(?P<phone>{_PHONE}))"
_CAPITAL_KINDS = f"(?=[A-ZÀ-ÖØ-Þ])(?:(?P<iban>{_IBAN})|(?P<name>{_WORD}))"
_EMBEDDED = re.compile(f"(?P<email>{_EMAIL})|{_DIGIT_KINDS}|{_CAPITAL_KINDS}")
#: The same without emails, for text without an ``@`` (trying the email pattern at every word
#: is most of the cost of a scan).
_EMBEDDED_NO_EMAIL = re.compile(f"{_DIGIT_KINDS}|{_CAPITAL_KINDS}")
_EMAIL_AT = re.compile(_EMAIL)
_NUMBERS = re.compile(_DIGIT_KINDS)
#: Digits with the separators numbers are written with, 8 characters or more: where a number
#: may be (in folded text, whose digits are ASCII).
_CLUSTER = re.compile(r"[0-9+(][0-9\s().-]{7,}", re.ASCII)
_LOCAL_PART = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._%+-")
_ASCII_DIGITS = b"0123456789"
#: The fewest digits of a number :func:`identifiers` yields (a phone number's).
_FEWEST_DIGITS = min(PHONE_DIGITS)
_NOT_A_CARD = re.compile(f"(?P<tax_id>{_SSN})|(?P<phone>{_PHONE})")
_POSSESSIVE = re.compile(r"(.+?)(['’]s)", re.IGNORECASE)


def name_key(word: str) -> str:
    """How a word is looked up in :attr:`Vocabulary.name_words`: accents, case and apostrophes
    dropped (``O'Brien`` → ``obrien``, ``JOSÉ`` → ``jose``)."""
    if word.isascii() and word.isalpha():
        return word.lower()
    plain = unicodedata.normalize("NFKD", word)
    return "".join(c for c in plain if c.isalpha() and c.isascii()).casefold()


def embedded(text: str, vocabulary: Vocabulary) -> Iterator[tuple[str, str, int, int]]:
    """``(kind, found, start, end)`` of each piece of PII :func:`free_text` replaces in
    ``text``: ``email``, ``card_number``, ``tax_id``, ``phone`` or ``first_name``. Pieces are
    found in :func:`fold`'s form of ``text`` (``123–45–6789`` with en dashes is an SSN) and
    ``found`` is given in that form; ``start`` and ``end`` hold for ``text`` too."""
    names = vocabulary.name_words
    text = fold(text)
    for m in (_EMBEDDED if "@" in text else _EMBEDDED_NO_EMAIL).finditer(text):
        yield from _classify(m, names)


def identifiers(text: str) -> Iterator[tuple[str, str]]:
    """``(kind, found)`` of the emails, card numbers, SSNs/EINs and phone numbers in ``text``
    (not names): those :func:`embedded` finds, and possibly a few more (the digit groups of an
    IBAN), never fewer. Several times faster than :func:`embedded`: emails are looked for only
    around an ``@``, numbers only where at least 8 digits stand close together."""
    text = fold(text)
    at = text.find("@")
    while at != -1:
        start = at
        while start and text[start - 1] in _LOCAL_PART:
            start -= 1
        m = _EMAIL_AT.match(text, start)
        if m is not None:
            yield "email", m.group(0)
            at = text.find("@", m.end())
        else:
            at = text.find("@", at + 1)
    if _count_digits(text) < _FEWEST_DIGITS:
        return
    for cluster in _CLUSTER.finditer(text):
        if _count_digits(cluster.group(0)) < _FEWEST_DIGITS:
            continue
        # Two characters past the cluster, so the look-aheads see what follows it.
        for m in _NUMBERS.finditer(text, cluster.start(), cluster.end() + 2):
            for kind, found, _start, _end in _classify(m, frozenset()):
                yield kind, found


def _count_digits(text: str) -> int:
    raw = text.encode()
    return len(raw) - len(raw.translate(None, _ASCII_DIGITS))


def _classify(m: re.Match[str], names: frozenset[str]) -> Iterator[tuple[str, str, int, int]]:
    kind, found, start = m.lastgroup, m.group(0), m.start()
    if kind == "name":
        if name_key(found) in names:
            yield "first_name", found, start, m.end()
            return
        possessive = _POSSESSIVE.fullmatch(found)
        if possessive and name_key(possessive.group(1)) in names:
            stem = possessive.group(1)
            yield "first_name", stem, start, start + len(stem)
        return
    if kind == "card" and not _luhn_valid(found):
        for inner in _NOT_A_CARD.finditer(found):
            for k, f, s, e in _classify(inner, names):
                yield k, f, start + s, start + e
        return
    if kind == "iban":
        return
    if kind == "phone":
        digits = len(_DIGIT.findall(found))
        if _TRUNK.match(found):
            if digits not in _NATIONAL_DIGITS or not _national(m.string, found, start):
                return
        elif digits not in PHONE_DIGITS:
            return
    yield ("card_number" if kind == "card" else str(kind)), found, start, m.end()


def _national(text: str, found: str, start: int) -> bool:
    """Whether ``found`` (at ``start`` of ``text``, with a trunk 0) reads as a phone number:
    not right after ``#`` or ``-`` (``INV-0012345678``), and in groups or after a phone word."""
    if start and text[start - 1] in "#-":
        return False
    if _GROUPED.search(found.lstrip("(")) is not None:
        return True
    return _PHONE_CUE.search(text, max(0, start - _CUE_WINDOW), start) is not None


def strings(value: Any) -> Iterator[str]:
    """The texts of a JSON value (a dict's keys and values, a list's items, at any depth; an
    integer as its digits, since ``123456789`` may be an SSN); any other value as its text."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from strings(key)
            yield from strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from strings(item)
    elif value is not None and not isinstance(value, bool | float):
        yield str(value)


#: Integers inside JSON documents that may be an identifier written as a number: an SSN or
#: EIN (9 digits), a phone number (10 to 15) or a card number (up to 19).
_NUMBER_DIGITS = range(9, 20)


def free_text(value: Any, h: int, ctx: MaskContext) -> Any:
    """Embedded emails, card numbers, SSNs and EINs, phone numbers and names replaced by their
    masked counterparts (the same ones their own columns get); other words kept. A name in
    capitals stays in capitals. A JSON value (dict or list) keeps its structure: each string
    in it, each dict key, and each integer of 9 to 19 digits (an SSN, phone or card number
    written as a number) is masked so; such an integer stays an integer of as many digits
    when its masked form allows (else it becomes the masked text).

    Raises:
        DataError: two keys of one JSON object mask to the same key.
    """
    if isinstance(value, Mapping | list | tuple):
        return _json_item(value, _unbounded(ctx))
    if value is None or not (isinstance(value, str) or hasattr(value, "isoformat")):
        return value  # a number, a boolean or null
    return fit(_text_masked(str(value), ctx), ctx.length)


def _json_item(value: Any, ctx: MaskContext) -> Any:
    if isinstance(value, Mapping):
        out: dict[Any, Any] = {}
        for key, item in value.items():
            masked_key = _text_masked(key, ctx) if isinstance(key, str) else key
            if masked_key in out:
                raise DataError(
                    "free_text: two keys of one JSON object mask to the same key (values that "
                    "differ only in case or spacing, or names that mask alike); mask the column "
                    "with 'redact' or 'null', or rename the keys"
                )
            out[masked_key] = _json_item(item, ctx)
        return out
    if isinstance(value, list | tuple):
        return [_json_item(item, ctx) for item in value]
    if isinstance(value, str):
        return _text_masked(value, ctx)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        text = str(value)
        if len(text) not in _NUMBER_DIGITS:
            return value
        masked = _text_masked(text, ctx)
        if masked == text:
            return value
        if masked.isdigit() and len(masked) == len(text) and masked[0] != "0":
            return int(masked)
        return masked
    if value is None or not hasattr(value, "isoformat"):
        return value  # a float, a boolean or null
    return _text_masked(str(value), ctx)


def _text_masked(text: str, ctx: MaskContext) -> str:
    """``text`` with each embedded piece of PII replaced (no length limit)."""
    sub = ctx.submask
    out: list[str] = []
    at = 0
    for kind, found, start, end in embedded(text, ctx.vocabulary):
        masked = REDACTED if sub is None else str(sub(kind, found))
        if kind == "first_name" and found.isupper() and len(found) > 1:
            masked = masked.upper()
        out.append(text[at:start])
        out.append(masked)
        at = end
    if not out:
        return text
    out.append(text[at:])
    return "".join(out)


def _unbounded(ctx: MaskContext) -> MaskContext:
    """``ctx`` without a length: a JSON column's length is not its strings' length."""
    return ctx if ctx.length is None else MaskContext(ctx.vocabulary, None, ctx.submask)


def _luhn_valid(text: str) -> bool:
    digits = "".join(c for c in text if c.isdigit())
    return len(digits) >= 13 and _luhn_digit(digits[:-1]) == digits[-1]


def redact(value: Any, h: int, ctx: MaskContext) -> str:
    """A fixed marker, cut to the column."""
    return fit(REDACTED, ctx.length) or "x"


def null(value: Any, h: int, ctx: MaskContext) -> None:
    """Drop the value (nullable columns only)."""
    return None


#: Every masker by strategy name; a kind's default strategy has the kind's name.
MASKERS: Mapping[str, Masker] = {
    "person_name": person_name,
    "first_name": first_name,
    "last_name": last_name,
    "company_name": company_name,
    "email": email,
    "phone": phone,
    "street_address": street_address,
    "city": city,
    "postal_code": postal_code,
    "tax_id": tax_id,
    "license_number": license_number,
    "ip_address": ip_address,
    "date_of_birth": date_of_birth,
    "card_number": card_number,
    "free_text": free_text,
    "redact": redact,
    "null": null,
}
