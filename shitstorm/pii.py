"""Personal data in public posts: one rule per kind, precision before recall.

Customers post customer numbers, phone numbers, IBANs and home addresses in public threads.
``find_pii(text)`` finds them; ``redact(text)`` replaces each by a placeholder of its kind
(``[TELEFON]``, ``[IBAN]``…) and leaves every other character as it was.

Each ``find_<kind>`` function is one rule: a candidate pattern plus the checks that keep its
precision (IBAN checksum, Luhn, a context word before a customer number, a birth-date word before
a date). Overlapping findings are settled by ``KIND_PRECEDENCE``: the more specific evidence wins
(a number after "Kundennummer" is a customer number even if it passes the Luhn check).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable

from .schema import PII_KINDS, PII_PLACEHOLDERS, PiiFinding
from .text._offsets import nfc_with_offsets
from .text.normalise import _JUNK

__all__ = ["find_pii", "redact", "KIND_PRECEDENCE"]

KIND_PRECEDENCE: tuple[str, ...] = (
    "email", "iban", "customer_number", "contract_number", "order_number", "ticket_number",
    "date_of_birth", "payment_card", "phone", "address",
)
"""Who wins when two findings overlap: checksummed and context-word evidence before the shape
rules (card, phone, address), which are the likeliest to fire on something else."""

_PREFILTER = re.compile(r"[\d@]")
"""Every kind needs a digit (numbers, house numbers, dates) or an "@" (e-mail): a post with
neither is skipped, which is most posts."""

_SEP = r"[ \t\u00a0]"
_LETTER = "A-Za-zÄÖÜäöüß\u0300-\u036f"  # combining marks: decomposed umlauts still match


# --- e-mail -----------------------------------------------------------------------------------
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,24}(?![\w-])")


def find_emails(text: str) -> list[PiiFinding]:
    """E-mail addresses, a company's own included ("info@…" is still an address)."""
    if "@" not in text:
        return []
    return [_f("email", text, m.start(), m.end()) for m in _EMAIL.finditer(text)
            if not m.group().startswith(".")]


# --- IBAN -------------------------------------------------------------------------------------
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AT": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28, "CZ": 24, "DE": 22, "DK": 18,
    "EE": 20, "ES": 24, "FI": 18, "FR": 27, "GB": 22, "GR": 27, "HR": 21, "HU": 28, "IE": 22,
    "IS": 26, "IT": 27, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MT": 31, "NL": 18,
    "NO": 15, "PL": 28, "PT": 25, "RO": 24, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "TR": 26,
}
"""IBAN lengths of the SEPA countries (ISO 13616 registry). With a known length the candidate is
cut exactly there, so the words after an IBAN are never swallowed; other countries are tried
from 34 characters down, the checksum deciding."""

_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}[0-9]{2}(?:[ \u00a0]?[A-Za-z0-9]){11,30}")
"""ASCII only, as IBANs are; ``re.IGNORECASE`` would let ``[A-Z]`` match "ſ" or "K" (Kelvin)."""


def iban_checksum_ok(compact: str) -> bool:
    """ISO 7064 mod 97-10: move the first four characters to the end, letters → 10..35."""
    if not 15 <= len(compact) <= 34 or not compact.isascii() or not compact.isalnum():
        return False
    if not compact[:2].isalpha() or not compact[2:4].isdigit():
        return False
    rearranged = compact[4:] + compact[:4]
    digits = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(digits) % 97 == 1


def find_ibans(text: str) -> list[PiiFinding]:
    """IBANs with a valid checksum, grouped in fours or written solid."""
    out = []
    for m in _IBAN.finditer(text):
        raw = m.group()
        # positions of the alphanumerics in raw, so a compact length maps back to a span
        pos = [i for i, ch in enumerate(raw) if ch.isalnum()]
        compact = "".join(raw[i] for i in pos).upper()
        known = IBAN_LENGTHS.get(compact[:2])
        lengths = [known] if known else range(min(34, len(compact)), 14, -1)
        for n in lengths:
            if n > len(compact):
                continue
            end = pos[n - 1] + 1
            # an IBAN ends at a word boundary: "DE89…3000" followed by more digits is not one
            if end < len(raw) and raw[end].isalnum():
                continue
            if iban_checksum_ok(compact[:n]):
                out.append(_f("iban", text, m.start(), m.start() + end))
                break
    return out


# --- payment card -----------------------------------------------------------------------------
_CARD = re.compile(
    r"(?<![\d.,/-])(?:"
    r"\d{4}([ -])\d{4}\1\d{4}\1\d{1,4}(?:\1\d{1,3})?"  # 4-4-4-4(-3), 4-4-4-3: Visa, Mastercard, JCB
    r"|\d{4}([ -])\d{6}\2\d{4,5}"                   # 4-6-5: Amex, 4-6-4: Diners
    r"|\d{13,19}"                                   # solid
    r")(?!\d|[.,]\d)"
)
CARD_PREFIXES = ("2", "3", "4", "5", "6")
"""Issuer prefixes of the card networks (2/5 Mastercard, 3 Amex/Diners/JCB, 4 Visa, 5/6 Maestro,
Discover): a number starting with 0, 1, 7, 8 or 9 is no card, whatever its checksum."""


def luhn_ok(digits: str) -> bool:
    """The Luhn check of payment card numbers."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)  # any decimal digit: "４" is 4, as the rules' \\d reads it
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def find_payment_cards(text: str) -> list[PiiFinding]:
    """13–19 digit card numbers that start like a card network's and pass the Luhn check."""
    out = []
    ibans = _Spans(_iban_shaped(text))
    for m in _CARD.finditer(text):
        if ibans.overlaps(m.start(), m.end()):
            continue
        digits = re.sub(r"\D", "", m.group())
        if 13 <= len(digits) <= 19 and digits.startswith(CARD_PREFIXES) and luhn_ok(digits):
            out.append(_f("payment_card", text, m.start(), m.end()))
    return out


# --- phone ------------------------------------------------------------------------------------
_PHONE = re.compile(
    r"(?<![\w+/.,-])(?<!\d[ -])(?:"
    r"(?:\+|00)" + _SEP + r"?[1-9]\d{0,2}(?:" + _SEP + r"?\(0\))?"  # +49 / 0049 / +43, "(0)"
    r"|\(0\d{1,5}\)"                                                  # (030)
    r"|0(?=" + _SEP + r"?[1-9])"                                      # 030, 0171
    r")(?:" + _SEP + r"?[/-]?" + _SEP + r"?\d){5,14}(?!\d|[.,]\d)"
)
PHONE_MIN_DIGITS = 7
"""German numbers have at least seven digits with the area code ("030 12345" is eight; old
rural lines "03381 123" seven); a postcode (five digits, "01067") stays below."""
PHONE_MAX_DIGITS = 15
"""E.164 allows at most fifteen digits with the country code."""
_DATE_LIKE = re.compile(r"0?[1-9]|[12]\d|3[01]")
_NOT_PHONE_BEFORE = re.compile(
    r"(?:serien|seriennummer|sn|imei|artikel|art|artikelnummer|ean|modell|version|fax|steuer|"
    r"ust|iban|bic|blz|konto|kontonummer|zähler|zählernummer|"
    r"kunden|kd|vertrags|bestell|auftrags|sendungs|rechnungs|ticket|vorgangs|aktenzeichen|az|"
    r"referenz|fall|police|policen|versicherungs|mitglieds)[\w.-]*[\s:#.-]*$",
    re.IGNORECASE,
)
"""Words after which a 0-led digit run is an identifier, not a phone number (serial numbers,
article numbers; the context-word kinds are settled by ``KIND_PRECEDENCE`` anyway, but "Fax" and
"Steuernummer" are not personal data of the kinds we report)."""


def _iban_shaped(text: str) -> list[tuple[int, int]]:
    """Spans shaped like an IBAN, valid or not: the digits of a mistyped IBAN ("DE96 3704 0044
    …") are no phone or card number."""
    return [m.span() for m in _IBAN.finditer(text)] if _IBAN_HINT.search(text) else []


_IBAN_HINT = re.compile(r"[A-Za-z]{2}\d{2}")


def find_phones(text: str) -> list[PiiFinding]:
    """German (and other international) phone numbers: +49…, 0049…, 0…; a hotline too."""
    out = []
    ibans = _Spans(_iban_shaped(text))
    for m in _PHONE.finditer(text):
        if ibans.overlaps(m.start(), m.end()):
            continue
        raw = m.group()
        digits = re.sub(r"\D", "", raw)
        if not PHONE_MIN_DIGITS <= len(digits) <= PHONE_MAX_DIGITS:
            continue
        if _looks_like_date(raw) or _UNIT_AFTER_PHONE.match(text, m.end()):
            continue
        if _NOT_PHONE_BEFORE.search(text[max(0, m.start() - 30):m.start()]):
            continue
        out.append(_f("phone", text, m.start(), m.end()))
    return out


def _looks_like_date(raw: str) -> bool:
    """"05-03-2024", "05/03/24": day, month, year with one kind of separator."""
    parts = re.split(r"[ /-]", raw.strip())
    return (len(parts) == 3 and all(p.isdigit() for p in parts)
            and bool(_DATE_LIKE.fullmatch(parts[0])) and bool(_DATE_LIKE.fullmatch(parts[1]))
            and int(parts[1]) <= 12 and len(parts[2]) in (2, 4))


# --- identifiers after a context word ---------------------------------------------------------
_NUMBER_WORD = r"(?:nummer|nr\b\.?|no\b\.?|num\b\.?)"
_CONTEXT_WORDS: dict[str, str] = {
    "customer_number": (r"(?:kunden|kd\.?|mitglieds)[\s.-]?" + _NUMBER_WORD
                        + r"|kdnr\b\.?|knr\b\.?|kundenkonto(?:nummer)?|kundenkennung|kunden-?id"),
    "contract_number": (r"(?:vertrags|versicherungs|vers\.?|policen|police|zähler|vertragskonto)"
                        r"[\s.-]?" + _NUMBER_WORD + r"|vertragskonto|versicherungsschein(?:nummer)?"),
    "order_number": (r"(?:bestell|auftrags|sendungs|rechnungs|order|buchungs|paket)[\s.-]?"
                     + _NUMBER_WORD + r"|order[\s-]?id|buchungscode"),
    "ticket_number": (r"(?:ticket|vorgangs|fall|referenz|case|service-?request|anfrage|service)[\s.-]?"
                      + _NUMBER_WORD + r"|aktenzeichen|az\.|(?:ticket|case|vorgangs)[\s-]?id"),
}
"""Context words per kind, as customers spell them ("Kd-Nr.", "Kundennr.", "Vertrags-Nr.:",
"Auftrags-Nr. #"). Without one of them a number is not reported: "ICE 599" is a train."""

_GAP = (r"(?:\s*(?:[:#=,]|\(|ist|lautet|lautete|wäre|war|is|lauten|nochmal|nochmals|noch\s+mal|"
        r"die|der|das|hier|von\s+mir|meiner?|also)\s*){0,3}")
"""What may stand between a context word and the identifier: a colon, "#", "ist", "lautet"…;
no free words ("Kundennummer habe ich seit 2019" reports nothing)."""
_IDENT = (r"(?=[A-Za-z0-9./-]*\d)[A-Za-z0-9](?:[A-Za-z0-9/-]|\.(?=[A-Za-z0-9]))*"
          r"(?:[ \u00a0]\d{3,}(?![\w.,]))*")
"""An identifier: letters, digits, dashes, slashes and inner dots, holding at least one digit;
space-separated digit groups of three or more continue it ("123 456 789")."""

_COURT_FILE = r"\d{1,3}\s[A-Z][A-Za-z]{0,2}\s\d{1,5}/\d{2,4}"
"""A court's file number after "Aktenzeichen": "3 C 123/24"."""

_OF_PHRASE = (r"(?:\s(?:meines|meiner|meinem|des|der|zur|zum|für\s(?:den|die|das|meinen|meine))\s"
              r"[A-ZÄÖÜ][" + _LETTER + r"-]+)?")
""""Referenznummer der Schadensmeldung: …", "Servicenummer meines Falls ist …"."""

_IDENTIFIERS = {
    kind: re.compile(r"(?<![\w])(?P<word>" + words + r")" + _OF_PHRASE + _GAP
                     + r"\s*(?P<id>" + _COURT_FILE + "|" + _IDENT + r")",
                     re.IGNORECASE)
    for kind, words in _CONTEXT_WORDS.items()
}
IDENT_MIN_CHARS = 4
"""Shorter "identifiers" ("Nr. 3", "Fall 12") are counts, not numbers of a customer."""
_YEAR = re.compile(r"(?:19|20)\d{2}")


def _find_identifiers(kind: str, text: str) -> list[PiiFinding]:
    out = []
    for m in _IDENTIFIERS[kind].finditer(text):
        ident = m.group("id").rstrip("./-")
        if len(ident) < IDENT_MIN_CHARS or _YEAR.fullmatch(ident):
            continue
        if m.group("word").lower().startswith("service") and ident[0] in "0+":
            continue  # "Servicenummer 0800 …" is the hotline: a phone number, not a case
        start = m.start("id")
        out.append(_f(kind, text, start, start + len(ident)))
    return out


def find_customer_numbers(text: str) -> list[PiiFinding]:
    """Identifiers after "Kundennummer", "Kd-Nr.", "Mitgliedsnummer"…"""
    return _find_identifiers("customer_number", text)


def find_contract_numbers(text: str) -> list[PiiFinding]:
    """Identifiers after "Vertragsnummer", "Versicherungsnummer", "Zählernummer"…"""
    return _find_identifiers("contract_number", text)


def find_order_numbers(text: str) -> list[PiiFinding]:
    """Identifiers after "Bestellnummer", "Auftrags-Nr.", "Sendungsnummer", "Rechnungsnummer"…"""
    return _find_identifiers("order_number", text)


def find_ticket_numbers(text: str) -> list[PiiFinding]:
    """Identifiers after "Ticketnummer", "Vorgangsnummer", "Aktenzeichen"…"""
    return _find_identifiers("ticket_number", text)


# --- date of birth ----------------------------------------------------------------------------
_MONTHS = (r"(?:januar|jan|februar|feb|märz|mär|maerz|april|apr|mai|juni|jun|juli|jul|august|aug|"
           r"september|sept|sep|oktober|okt|november|nov|dezember|dez)\.?")
_DATE = (r"(?:(?:0?[1-9]|[12]\d|3[01])\.\s?(?:0?[1-9]|1[0-2])\.(?:\s?(?:19|20)?\d{2}(?!\d))?"
         r"|(?:0?[1-9]|[12]\d|3[01])\.?\s" + _MONTHS + r"(?:\s(?:19|20)?\d{2}(?!\d))?"
         r"|(?:19|20)\d{2}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])"
         r"|(?:0?[1-9]|[12]\d|3[01])/(?:0?[1-9]|1[0-2])/(?:19|20)?\d{2}(?!\d))")
_BIRTH_WORDS = (r"(?:geboren|geb\.|geburtstag\s+ist|jahrgang)"
                r"(?:\s*(?:[:=]|am|ist|der|den|bin|ich|wurde|war)\s*){0,3}")
_BIRTH_NOUNS = (r"(?:geburtsdatum|geb\.?-?datum|date\s+of\s+birth|dob)"
                r"(?:[\s,:=(]+[" + _LETTER + r"]+){0,3}[\s,:=(]*")
"""After a noun ("Geburtsdatum zur Identifikation: …") up to three words may come before the
date; after "geboren" / "geb." only the small words of a sentence ("geboren bin ich am …")."""
_DOB_AFTER = re.compile(
    r"(?<!\w)(?:" + _BIRTH_NOUNS + "|" + _BIRTH_WORDS + r")\s*"
    r"(?P<date>" + _DATE + r")", re.IGNORECASE)
_DOB_BEFORE = re.compile(r"(?<![\w.])(?P<date>" + _DATE + r")\s*(?:\(?geb\.|geboren\b)", re.IGNORECASE)


def find_dates_of_birth(text: str) -> list[PiiFinding]:
    """A date right after "geboren", "geb.", "Geburtsdatum" (or right before "geboren"). The
    date of a delay or a birthday party ("Geburtstag am 14.05.") is not reported."""
    out = []
    for rx in (_DOB_AFTER, _DOB_BEFORE):
        for m in rx.finditer(text):
            out.append(_f("date_of_birth", text, m.start("date"), m.end("date")))
    return out


# --- postal address ---------------------------------------------------------------------------
_L = "[" + _LETTER + "]"
_STREET_SUFFIX = (r"(?i:straße|strasse|str\.|weg|allee|platz|ring|gasse|damm|ufer|chaussee|"
                  r"steig|pfad|stieg|graben|wall|kamp|twiete|promenade|anger|deich|redder)")
"""Endings of German street names. Endings that are as often ordinary words ("-hof": Bahnhof,
"-berg", "-feld", "-garten", "-tor", "-zeile") are left out: precision first."""
_STREET_NAME = (
    # "Lindenweg", "Karl-Marx-Str.", "Goethestraße": at least two letters before the ending
    r"[A-ZÄÖÜ](?:" + _L + r"|-(?=[A-ZÄÖÜ" + _LETTER + r"]))+?" + _STREET_SUFFIX
    # "Berliner Straße", "Alte Landstr."
    + r"|[A-ZÄÖÜ]" + _L + r"+\s(?:Straße|Strasse|Str\.|Weg|Allee|Platz|Ring|Gasse|Damm|Ufer|Chaussee)"
)
_STREET_PREFIX = (r"(?:Am|An\sder|An\sden|Im|In\sder|In\sden|Auf\sder|Auf\sdem|Zum|Zur|Unter\sden|"
                  r"Hinter\sder|Hinter\sdem|Vor\sdem)\s[A-ZÄÖÜ]" + _L + r"+(?:-[A-ZÄÖÜ]" + _L + r"+)*")
_NUM = r"[1-9]\d{0,2}(?:\s?[a-hA-H](?!\w))?(?:\s?[-–/]\s?[1-9]\d{0,2}(?:\s?[a-hA-H](?!\w))?)?(?![\d]|[.,]\d)"
"""House numbers: 1–999, a letter ("12a", "7 b"), a range ("4-6", "12/14")."""
_POSTCODE_TOWN = (r"(?<![\d.,])(?:0[1-9]|[1-9]\d)\d{3}\s+(?P<town_word>[A-ZÄÖÜ]" + _L + r"+)"
                  r"(?:(?:-|\s(?:am|an\sder|im|in|ob\sder|bei|vor\sder)\s)[A-ZÄÖÜ]" + _L + r"+)?"
                  r"(?:\s\([A-ZÄÖÜ]" + _L + r"+\))?")
_STREET = re.compile(
    r"(?<![\w-])(?:(?P<street>" + _STREET_NAME + r")|(?P<prefixed>" + _STREET_PREFIX + r"))"
    r"\s?(?P<number>" + _NUM + r")(?P<town>,?\s*" + _POSTCODE_TOWN + r")?"
)
_TOWN_ALONE = re.compile(_POSTCODE_TOWN)
_PREFIXED_END = re.compile(r"\s*(?:$|[,.;!?)\n]|(?:0[1-9]|[1-9]\d)\d{3}\s)")
"""After "Am Mühlbach 12" the address ends (punctuation, line end, a postcode): "Im Jahr 2023"
or "Am Montag 12 Pakete" do not."""
NOT_A_STREET = frozenset({
    "Sitzplatz", "Parkplatz", "Stellplatz", "Liegeplatz", "Arbeitsplatz", "Spielplatz",
    "Abstellplatz", "Steckplatz", "Startplatz", "Tabellenplatz", "Listenplatz", "Campingplatz",
    "Bahnsteig", "Einstieg", "Ausstieg", "Umstieg", "Aufstieg", "Abstieg", "Rückweg", "Hinweg",
    "Heimweg", "Umweg", "Ausweg", "Lieferweg", "Postweg", "Rechtsweg", "Dienstweg", "Firewall",
    "Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag",
    "Wochenende", "Telefon", "Schalter", "Anfang", "Ende", "Morgen", "Abend", "Jahr", "Monat",
    "Schnitt", "Durchschnitt", "Januar", "Februar", "März", "April", "Mai", "Juni", "Juli",
    "August", "September", "Oktober", "November", "Dezember", "Moment", "Prinzip", "Vergleich",
    "Vorfeld", "Voraus", "Rahmen", "Laufe", "Zuge", "Endeffekt", "Grunde", "Ernst", "Glück",
})
"""Words that end like a street ("Sitzplatz 12", "Bahnsteig 4", "Rückweg 3") or follow "Am" /
"Im" like a street name ("Am Montag 12", "Im Jahr 2023"): never an address."""
NOT_A_TOWN = frozenset({
    "Euro", "Kunden", "Kundinnen", "Menschen", "Leute", "Nutzer", "Follower", "Mitglieder",
    "Haushalte", "Haushalten", "Abonnenten", "Unterschriften", "Beschwerden", "Stück", "Mal",
    "Tage", "Tagen", "Jahre", "Jahren", "Kilometer", "Meter", "Punkte", "Sterne", "Bewertungen",
    "Fans", "Likes", "Aufrufe", "Views", "Klicks", "Mitarbeiter", "Pakete", "Sendungen",
    "Bestellungen", "Fälle", "Anrufe", "Mails", "Einwohner", "Dollar", "Franken", "Pfund",
    "Minuten", "Stunden", "Sekunden", "Wochen", "Monate", "Monaten", "Kilo", "Liter", "Gramm",
    "Artikel", "Produkte", "Geräte", "Zeichen", "Wörter", "Seiten", "Kommentare", "Posts",
    "Nachrichten", "Shares", "Teilnehmer", "Personen", "Stimmen", "Abos", "Accounts", "Euros",
    "Kilowattstunden", "Einheiten", "Leser", "Zuschauer", "Betroffene", "Betroffenen", "Fahrgäste",
    "Passagiere", "Reisende", "Anschlüsse", "Verträge", "Tickets", "Flüge", "Zeilen", "Schritte",
})
"""Capitalised words after a five-digit number that are counts, not towns ("50000 Kunden")."""
_UNITS = (r"uhr\b|h\b|€|eur\b|euro|min\b|minuten|stunden|tage|wochen|monate|jahre|%|stück|km\b|m\b|kg\b|"
          r"gb\b|mb\b|kwh\b|mbit")
_COUNT_AFTER = re.compile(r"\s*(?:" + _UNITS + r"|x\b|mal\b)", re.IGNORECASE)
_UNIT_AFTER_PHONE = re.compile(r"\s*(?:" + _UNITS + r")", re.IGNORECASE)
"""After a phone number "mal" is the German particle ("ruft mich unter 0171 2345678 mal an"),
not a count: only units rule a phone number out."""
_TOWN_CONTEXT = re.compile(
    r"(?:\b(?:in|aus|nach|bei|von|wohne|wohnort|plz|postleitzahl|adresse|anschrift|ort|zu)"
    r"\s*:?\s*|[,\n(]\s*|^\s*)$", re.IGNORECASE)
"""A postcode + town on its own counts only after a word that introduces a place ("wohne in
44137 Dortmund", "PLZ 10115 Berlin"), a comma or the start of a line."""


def find_addresses(text: str, streets: bool = True) -> list[PiiFinding]:
    """Street + house number (with ", 12345 Ort" when it follows), or postcode + town.
    ``streets=False`` looks for postcode + town only (a text without any street word)."""
    out = []
    for m in (_STREET.finditer(text) if streets else ()):
        name = m.group("street") or m.group("prefixed")
        if name.split()[-1] in NOT_A_STREET:
            continue
        town = m.group("town")
        if town and m.group("town_word") in NOT_A_TOWN:
            town = None
        end = m.end() if town else m.end("number")
        if not town:
            if _COUNT_AFTER.match(text, end) or _next_word(text, end) in NOT_A_TOWN:
                continue
            if m.group("prefixed") and not _PREFIXED_END.match(text, end):
                continue
        out.append(_f("address", text, m.start(), end))
    taken = _Spans((f.start, f.end) for f in out)
    for m in _TOWN_ALONE.finditer(text):
        if taken.overlaps(m.start(), m.end()):
            continue
        if m.group("town_word") in NOT_A_TOWN:
            continue
        before = text[max(0, m.start() - 60):m.start()]
        if not _TOWN_CONTEXT.search(before[-25:]):
            continue
        street = _STREET_BEFORE_TOWN.search(before)
        start = m.start() - len(before) + street.start() if street else m.start()
        out.append(_f("address", text, start, m.end()))
    return out


_STREET_BEFORE_TOWN = re.compile(
    r"(?<![\w-])(?=[A-ZÄÖÜ])(?:(?:[A-ZÄÖÜ]" + _L + r"*|an|am|im|in|den|der|dem|zum|zur|auf)\s){0,3}"
    r"[A-ZÄÖÜ](?:" + _L + r"|-)+\s?" + _NUM + r",\s*$")
"""A street of any name right before ", 12345 Ort" ("Lange Reihe 41, 20099 Hamburg"): the
postcode vouches for it."""
_WORD = re.compile(r"\s*([" + _LETTER + r"]+)")


def _next_word(text: str, pos: int) -> str:
    m = _WORD.match(text, pos)
    return m.group(1) if m else ""


# --- putting it together ----------------------------------------------------------------------
RULES = {
    "email": find_emails,
    "iban": find_ibans,
    "customer_number": find_customer_numbers,
    "contract_number": find_contract_numbers,
    "order_number": find_order_numbers,
    "ticket_number": find_ticket_numbers,
    "date_of_birth": find_dates_of_birth,
    "payment_card": find_payment_cards,
    "phone": find_phones,
    "address": find_addresses,
}
"""One rule per kind of ``PII_KINDS``, in ``KIND_PRECEDENCE`` order (a test holds them together)."""

_ID_WORDS = ("nummer", "nr", "no", "num", "konto", "kennung", "id", "kd", "knr", "schein", "code",
             "aktenzeichen", "az.")
"""Substrings every context word of ``_CONTEXT_WORDS`` contains ("nr" for "Nr.", "Nr:", "Nr\t",
"id" for "Kunden-ID", "Kundenid", "Order ID")."""
_ID_KIND_WORDS = {
    "customer_number": ("kunden", "kd", "mitglied", "knr"),
    "contract_number": ("vertrag", "versicherung", "vers", "police", "zähler"),
    "order_number": ("bestell", "auftrag", "sendung", "rechnung", "order", "buchung", "paket"),
    "ticket_number": ("ticket", "vorgang", "fall", "referenz", "case", "service", "anfrage",
                      "aktenzeichen", "az."),
}
_STREET_ENDINGS = ("straße", "strasse", "str.", "weg", "allee", "platz", "ring", "gasse", "damm",
                   "ufer", "chaussee", "steig", "pfad", "stieg", "graben", "wall", "kamp", "twiete",
                   "promenade", "anger", "deich", "redder")
_PREFIXED_STREET = re.compile(r"(?<![\w-])" + _STREET_PREFIX + r"\s?[1-9]")
"""What a street introduced by "Am", "An der", "Im"… needs: the prefix, a name, a house number."""
_DIGIT = re.compile(r"\d")


def _street_possible(text: str, low: str) -> bool:
    """A street ending followed by a house number, or "Am …" + a name + a house number."""
    for w in _STREET_ENDINGS:
        i = low.find(w)
        while i >= 0:
            j = i + len(w)
            if _DIGIT.match(low, j) or (low[j:j + 1].isspace() and _DIGIT.match(low, j + 1)):
                return True
            i = low.find(w, j)
    return _PREFIXED_STREET.search(text) is not None


_CASE_FOLDS = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"})
"""Characters ``re.IGNORECASE`` matches with an ASCII letter but ``str.lower`` does not turn
into it ("İ", "ı", "ſ", the Kelvin sign): folded first, so the gates see what the rules see."""


def _gates(text: str) -> set[str]:
    """Kinds whose rule can match at all: cheap necessary conditions (substring tests and a digit
    count, no regular expressions) so that most posts skip most rules. They only save time;
    ``tests/test_pii.py`` checks that gated and ungated scans agree."""
    low = text.translate(_CASE_FOLDS).lower()
    # every decimal digit the rules' \\d matches ("７" too), not only ASCII ones
    digits = sum(map(text.count, "0123456789")) if text.isascii() else len(_DIGIT.findall(text))
    kinds = set()
    if "@" in text:
        kinds.add("email")
    if digits >= 7:  # the shortest phone number; cards have more
        kinds.add("phone")
        if digits >= 13:
            kinds.add("payment_card")
    if _IBAN_HINT.search(text):  # an IBAN's tail may be letters: no digit count
        kinds.add("iban")
    if digits and any(w in low for w in _ID_WORDS):
        kinds.update(k for k, words in _ID_KIND_WORDS.items() if any(w in low for w in words))
    if digits and ("geb" in low or "dob" in low or "birth" in low or "jahrgang" in low):
        kinds.add("date_of_birth")
    if digits and _street_possible(text, low):
        kinds.add("address")
    elif digits >= 5:
        kinds.add("address_town")  # only "12345 Ort" is possible: no street word in the text
    return kinds




class _Spans:
    """Non-overlapping ``(start, end)`` spans in text order, asked in O(log n) whether a span
    shares a character with any of them: so that a text with many numbers costs linear time."""

    def __init__(self, spans=()):
        self.starts: list[int] = []
        self.ends: list[int] = []
        for start, end in spans:
            self.starts.append(start)
            self.ends.append(end)

    def overlaps(self, start: int, end: int) -> bool:
        k = bisect_right(self.starts, start) - 1  # the last span starting at or before start
        if k >= 0 and self.ends[k] > start:
            return True
        return k + 1 < len(self.starts) and self.starts[k + 1] < end


def _merge(a: list[PiiFinding], b: list[PiiFinding]) -> list[PiiFinding]:
    """Two lists of findings in text order, merged in one pass."""
    out, i, j = [], 0, 0
    while i < len(a) and j < len(b):
        if a[i].start <= b[j].start:
            out.append(a[i])
            i += 1
        else:
            out.append(b[j])
            j += 1
    return out + a[i:] + b[j:]


def _f(kind: str, text: str, start: int, end: int) -> PiiFinding:
    return PiiFinding(kind, text[start:end], start, end)


def _check_kinds(kinds: Iterable[str] | None) -> tuple[str, ...]:
    if kinds is None:
        return KIND_PRECEDENCE
    if isinstance(kinds, str):
        kinds = [kinds]
    kinds = tuple(kinds)
    unknown = [k for k in kinds if k not in RULES]
    if unknown:
        raise ValueError(f"unknown personal-data kind(s) {', '.join(map(repr, unknown))}; "
                         f"known: {', '.join(PII_KINDS)}")
    return tuple(k for k in KIND_PRECEDENCE if k in kinds)


def find_pii(text: str, kinds: Iterable[str] | None = None) -> tuple[PiiFinding, ...]:
    """Personal data in ``text``, in text order, no two findings overlapping.

    >>> [(f.kind, f.text) for f in find_pii("Kundennr. 4711-0815, ruft mich an: 0171 2345678")]
    [('customer_number', '4711-0815'), ('phone', '0171 2345678')]
    """
    if not isinstance(text, str):
        raise TypeError(f"find_pii takes str, not {type(text).__name__}")
    wanted = _check_kinds(kinds)
    if not _PREFILTER.search(text):
        return ()
    view, offsets = nfc_with_offsets(text)
    found = _scan(view, wanted, gated=True)
    if _JUNK.search(view):
        # control characters, U+FFFD, lone surrogates: the text is read twice, with them blanked
        # (as the model sees it) and as it is; what either reading finds is reported
        view = _JUNK.sub(" ", view)
        blanked = _scan(view, wanted, gated=True)
        taken = _Spans((f.start, f.end) for f in blanked)
        found = tuple(_merge(list(blanked), [f for f in found if not taken.overlaps(f.start, f.end)]))
    if offsets is None and view is text:
        return found
    out = []
    for f in found:
        start, end = (f.start, f.end) if offsets is None else offsets.span(f.start, f.end)
        out.append(PiiFinding(f.kind, text[start:end], start, end))
    return tuple(out)


def _scan(text: str, wanted: tuple[str, ...], gated: bool) -> tuple[PiiFinding, ...]:
    """The rules over ``text`` (a view: NFC, control characters blanked), in precedence order;
    a finding overlapping one of an earlier kind is dropped. Linear in the findings."""
    accepted: list[PiiFinding] = []
    possible = _gates(text) if gated else RULES
    for kind in wanted:  # precedence order: earlier kinds keep their spans
        if kind in possible:
            found = RULES[kind](text)
        elif kind == "address" and "address_town" in possible:
            found = find_addresses(text, streets=False)
        else:
            continue
        if not found:
            continue
        taken = _Spans((f.start, f.end) for f in accepted)
        new: list[PiiFinding] = []
        last_end = -1
        for f in sorted(found, key=lambda f: f.start):  # stable: a rule's own order breaks ties
            if f.start >= last_end and not taken.overlaps(f.start, f.end):
                new.append(f)
                last_end = f.end
        accepted = _merge(accepted, new)
    return tuple(accepted)


def redact(text: str, kinds: Iterable[str] | None = None) -> str:
    """``text`` with each finding of ``find_pii(text, kinds)`` replaced by its placeholder
    (``[TELEFON]``, ``[IBAN]``…); every other character unchanged. The whole text is scanned,
    however long, in time linear in its length.

    >>> redact("Meine IBAN: DE89 3704 0044 0532 0130 00, Tel. 030 1234567")
    'Meine IBAN: [IBAN], Tel. [TELEFON]'
    """
    if not isinstance(text, str):
        raise TypeError(f"redact takes str, not {type(text).__name__}")
    findings = find_pii(text, kinds)
    if not findings:
        return text
    parts, pos = [], 0
    for f in findings:
        parts.append(text[pos:f.start])
        parts.append(PII_PLACEHOLDERS[f.kind])
        pos = f.end
    parts.append(text[pos:])
    return "".join(parts)
