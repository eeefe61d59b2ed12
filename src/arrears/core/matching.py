"""Matching bank credits to debtors and documents, with a confidence score.

A credit on the creditor's bank statement is money from someone. `match_credit` says whom it is
likely from and what it pays, from four clues, each worth points (the score is capped at 100):

| clue | points | when |
|---|---|---|
| invoice numbers cited | 60 | the remittance text (narration and reference) names open invoices of the debtor ("INV-000123", "inv 000123", "INV000123"), or the reference of a deal expecting a payment ("PP-00001") |
| invoice digits cited | 45 | only the digits of an invoice number appear ("000123" or "123" for "INV-000123"; at least four significant digits) |
| the payer's account is known | 40 | an earlier payment from the same account (IBAN or account number) was matched to the debtor |
| the payer's name | 25 / 15 | every word of the debtor's name appears in the payer's name or the narration / at least half of them (names of two words or more); "Ltd", "Limited", "plc"... do not count |
| the amount is exact | 35 | it equals what the cited invoices have open (or what the cited deal expects); or, with none cited, one open invoice, a payment a deal expects (a promise, the next instalment of a plan, a settlement) or everything the debtor owes |
| the amount is not exact | 10 | invoices are cited but the amount is less (a part payment) or more (an over-payment) |

A credit whose amount matches exactly one open invoice of the whole ledger (and nothing else
points anywhere) is suggested with that invoice's debtor at 35.

**Automatic or not.** The best candidate is applied without a person when its score is at least
`AUTO_MATCH_SCORE` (90), it knows which documents the cash settles, and no other debtor scores
within `AUTO_MATCH_MARGIN` (30) of it. So the exact cases are: invoices cited and the amount
exact (95); invoices cited by a payer whose name or account is known, whatever the amount
(part payments and over-payments: 95 or more); a known account, the payer's name and an exact
amount (100). Everything else goes to the unmatched queue with the candidates as suggestions.

**What the cash settles** (`Candidate.documents`, in order): the cited invoices by due date;
the documents of a cited deal; else the one invoice with that amount, the documents of the deal expecting it, or all the
debtor's open invoices, oldest due first. Cash beyond them stays on the debtor's account
(an over-payment), as `allocate_payment` leaves it.

Pure: no I/O, no clock; the store builds the `MatchBook` (open invoices, debtors' names, known
accounts, expected payments) and applies the result.
"""

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from arrears.core.ledger import Document
from arrears.core.money import Money

AUTO_MATCH_SCORE = 90
AUTO_MATCH_MARGIN = 30

CITED_POINTS = 60
DIGITS_CITED_POINTS = 45
ACCOUNT_POINTS = 40
FULL_NAME_POINTS = 25
PART_NAME_POINTS = 15
EXACT_AMOUNT_POINTS = 35
INEXACT_AMOUNT_POINTS = 10
MIN_CITED_DIGITS = 4

NAME_NOISE = frozenset(
    {
        "ltd",
        "limited",
        "plc",
        "llp",
        "llc",
        "inc",
        "co",
        "company",
        "the",
        "and",
        "uk",
        "gmbh",
        "bv",
        "nv",
        "sa",
        "sarl",
        "srl",
        "ag",
        "ta",
        "of",
    }
)
"""Words that say what kind of company a name is, not which one."""

_NOT_ALNUM = re.compile(r"[^0-9A-Za-z]+")
_DIGITS_AT_END = re.compile(r"(\d+)$")


def normalised_number(number: str) -> str:
    """A document number as it is compared with remittance text: letters and digits, upper case.

    >>> normalised_number("inv-000123/a")
    'INV000123A'
    """
    return _NOT_ALNUM.sub("", number).upper()


def normalised_account(account: str) -> str:
    """An IBAN or account number as compared between statements: letters and digits, upper case."""
    return _NOT_ALNUM.sub("", account).upper()


def name_words(text: str) -> frozenset[str]:
    """The words of a name that tell one company from another (lower case, no 'Ltd').

    >>> sorted(name_words("ACME Widgets Ltd."))
    ['acme', 'widgets']
    """
    return frozenset(
        word for word in _NOT_ALNUM.split(text.lower()) if len(word) > 1 and word not in NAME_NOISE
    )


@dataclass(frozen=True, slots=True)
class BankCredit:
    """A credit line of a bank statement, as the matcher sees it. `key` identifies it for the
    caller (the store uses the line's id)."""

    key: str
    booked_on: date
    amount: Money
    narration: str = ""
    reference: str | None = None
    counterparty_name: str | None = None
    counterparty_account: str | None = None

    @property
    def remittance_text(self) -> str:
        return " ".join(part for part in (self.reference, self.narration) if part)


@dataclass(frozen=True, slots=True)
class ExpectedPayment:
    """Money a deal expects from a debtor: a pending promise, the next instalment of a plan, a
    pending settlement. `documents` are what it pays, in order (empty: the whole account);
    `reference` is the deal's reference, which a debtor may quote ("PP-00001")."""

    debtor: str
    amount: Money
    documents: tuple[str, ...]
    label: str
    reference: str = ""


@dataclass(frozen=True, slots=True)
class Candidate:
    """A debtor the credit may be from, what it would settle and why.

    `exact` says the clues name the documents beyond doubt (an exact amount, or cited invoices);
    `reasons` are for a person, one clue each.
    """

    debtor: str
    documents: tuple[str, ...]
    confidence: int
    method: str
    reasons: tuple[str, ...]
    exact: bool = False


@dataclass(frozen=True, slots=True)
class MatchResult:
    """What the matcher found for one credit: candidates best first, and the one to apply
    without a person (`automatic`), if any."""

    credit: BankCredit
    candidates: tuple[Candidate, ...]
    automatic: Candidate | None

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None


@dataclass(slots=True)
class MatchBook:
    """What the matcher knows about a creditor's ledger, indexed once for many credits.

    - `debtor_names`: account code -> name;
    - `open_invoices`: the open invoices (any currency; each credit looks at its own);
    - `known_accounts`: normalised payer account -> debtors whose payments came from it;
    - `expected`: payments deals expect.
    """

    debtor_names: Mapping[str, str]
    open_invoices: Sequence[Document]
    known_accounts: Mapping[str, frozenset[str]] = field(default_factory=dict)
    expected: Sequence[ExpectedPayment] = ()
    _by_number: dict[str, Document] = field(init=False, repr=False)
    _by_digits: dict[str, list[Document]] = field(init=False, repr=False)
    _by_debtor: dict[str, list[Document]] = field(init=False, repr=False)
    _by_amount: dict[Money, list[Document]] = field(init=False, repr=False)
    _name_words: dict[str, frozenset[str]] = field(init=False, repr=False)
    _by_word: dict[str, set[str]] = field(init=False, repr=False)
    _expected_by_debtor: dict[str, list[ExpectedPayment]] = field(init=False, repr=False)
    _by_deal: dict[str, ExpectedPayment] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._by_number = {}
        self._by_digits = {}
        self._by_debtor = {}
        self._by_amount = {}
        for document in self.open_invoices:
            if not document.is_invoice or not document.is_open:
                continue
            self._by_number[normalised_number(document.number)] = document
            digits = _digits_key(document.number)
            if digits is not None:
                self._by_digits.setdefault(digits, []).append(document)
            self._by_debtor.setdefault(document.debtor, []).append(document)
            self._by_amount.setdefault(document.open_amount, []).append(document)
        for documents in self._by_debtor.values():
            documents.sort(key=lambda d: (d.due_date, d.number))
        self._name_words = {code: name_words(name) for code, name in self.debtor_names.items()}
        self._by_word = {}
        for code, words in self._name_words.items():
            for word in words:
                self._by_word.setdefault(word, set()).add(code)
        self._expected_by_debtor = {}
        self._by_deal = {}
        for expected in self.expected:
            self._expected_by_debtor.setdefault(expected.debtor, []).append(expected)
            if normalised_number(expected.reference):
                self._by_deal[normalised_number(expected.reference)] = expected

    def replace(self, document: Document) -> None:
        """Take a document as it now stands (cash was allocated to it): a paid document leaves
        the book, a part-paid one is found by its new open amount."""
        number = normalised_number(document.number)
        old = self._by_number.pop(number, None)
        if old is not None:
            self._by_amount[old.open_amount] = [
                d for d in self._by_amount.get(old.open_amount, []) if d.number != old.number
            ]
            old_digits = _digits_key(old.number)
            if old_digits is not None:
                self._by_digits[old_digits] = [
                    d for d in self._by_digits.get(old_digits, []) if d.number != old.number
                ]
            self._by_debtor[old.debtor] = [
                d for d in self._by_debtor.get(old.debtor, []) if d.number != old.number
            ]
        if not document.is_invoice or not document.is_open:
            return
        self._by_number[number] = document
        digits = _digits_key(document.number)
        if digits is not None:
            self._by_digits.setdefault(digits, []).append(document)
        self._by_amount.setdefault(document.open_amount, []).append(document)
        mine = self._by_debtor.setdefault(document.debtor, [])
        mine.append(document)
        mine.sort(key=lambda d: (d.due_date, d.number))

    def invoices_of(self, debtor: str, currency: str) -> list[Document]:
        """The debtor's open invoices in `currency`, oldest due first."""
        return [d for d in self._by_debtor.get(debtor, ()) if d.currency == currency]

    def cited(self, text: str) -> tuple[dict[str, Document], dict[str, Document]]:
        """Open invoices whose numbers appear in `text` (number -> document), and those whose
        digits alone appear (never the same invoice in both)."""
        tokens = [token for token in _NOT_ALNUM.split(text.upper()) if token]
        full: dict[str, Document] = {}
        for joined in _joins(tokens):
            found = self._by_number.get(joined)
            if found is not None:
                full[found.number] = found
        digits: dict[str, Document] = {}
        for token in tokens:
            if token.isdigit():
                for found in self._by_digits.get(token.lstrip("0"), ()):
                    if found.number not in full:
                        digits[found.number] = found
        return full, digits

    def cited_deals(self, text: str) -> dict[str, ExpectedPayment]:
        """Deals expecting a payment whose reference appears in `text` (debtor -> deal)."""
        tokens = [token for token in _NOT_ALNUM.split(text.upper()) if token]
        found: dict[str, ExpectedPayment] = {}
        for joined in _joins(tokens):
            expected = self._by_deal.get(joined)
            if expected is not None:
                found.setdefault(expected.debtor, expected)
        return found

    def name_score(self, debtor: str, payer: frozenset[str]) -> int:
        """Points for how much of the debtor's name the payer's words hold (0, 15 or 25)."""
        words = self._name_words.get(debtor, frozenset())
        if not words:
            return 0
        shared = len(words & payer)
        if shared == len(words):
            return FULL_NAME_POINTS
        if len(words) >= 2 and shared * 2 >= len(words):
            return PART_NAME_POINTS
        return 0

    def debtors_named(self, payer: frozenset[str]) -> set[str]:
        found: set[str] = set()
        for word in payer:
            found.update(self._by_word.get(word, ()))
        return found

    def expected_of(self, debtor: str, currency: str) -> list[ExpectedPayment]:
        return [e for e in self._expected_by_debtor.get(debtor, ()) if e.amount.currency == currency]

    def only_invoice_of_amount(self, amount: Money) -> Document | None:
        found = self._by_amount.get(amount, ())
        return found[0] if len(found) == 1 else None


def _joins(tokens: Sequence[str]) -> Iterable[str]:
    """Each token, and each run of two or three tokens joined ("INV", "000123" -> "INV000123")."""
    for size in (1, 2, 3):
        for start in range(len(tokens) - size + 1):
            yield "".join(tokens[start : start + size])


def _digits_key(number: str) -> str | None:
    """The significant digits ending a number that also has letters ('INV-000123' -> '123'),
    when there are at least `MIN_CITED_DIGITS` of them."""
    normal = normalised_number(number)
    if normal.isdigit():
        return None
    found = _DIGITS_AT_END.search(normal)
    if found is None:
        return None
    digits = found.group(1).lstrip("0")
    return digits if len(digits) >= MIN_CITED_DIGITS else None


def _by_due(documents: Iterable[Document]) -> list[Document]:
    return sorted(documents, key=lambda d: (d.due_date, d.number))


def _total(documents: Iterable[Document], currency: str) -> Money:
    return Money.total((d.open_amount for d in documents), currency)


def match_credit(credit: BankCredit, book: MatchBook) -> MatchResult:
    """The debtors `credit` may be from, best first, and the automatic match if it is exact
    (see the module docstring for the points and the rule)."""
    if not credit.amount.is_positive:
        return MatchResult(credit, (), None)
    currency = credit.amount.currency
    full, digits = book.cited(credit.remittance_text)
    deals = {
        debtor: deal
        for debtor, deal in book.cited_deals(credit.remittance_text).items()
        if deal.amount.currency == currency
    }
    payer = name_words(" ".join(part for part in (credit.counterparty_name, credit.narration) if part))
    account = normalised_account(credit.counterparty_account or "")
    account_debtors = book.known_accounts.get(account, frozenset()) if account else frozenset()

    debtors: set[str] = set(account_debtors)
    debtors.update(d.debtor for d in (*full.values(), *digits.values()) if d.currency == currency)
    debtors.update(deals)
    debtors.update(code for code in book.debtors_named(payer) if book.name_score(code, payer))
    candidates = [
        candidate
        for code in sorted(debtors)
        if (
            candidate := _candidate(
                credit, book, code, full, digits, deals.get(code), payer, code in account_debtors
            )
        )
        is not None
    ]
    if not candidates:
        lone = book.only_invoice_of_amount(credit.amount)
        if lone is not None:
            candidates.append(
                Candidate(
                    lone.debtor,
                    (lone.number,),
                    EXACT_AMOUNT_POINTS,
                    "amount",
                    (f"the amount is what invoice {lone.number} has open, and no other invoice",),
                )
            )
    candidates.sort(key=lambda c: (-c.confidence, c.debtor))
    return MatchResult(credit, tuple(candidates), _automatic(candidates))


def _automatic(candidates: Sequence[Candidate]) -> Candidate | None:
    if not candidates:
        return None
    best = candidates[0]
    if best.confidence < AUTO_MATCH_SCORE or not best.exact or not best.documents:
        return None
    if len(candidates) > 1 and candidates[1].confidence > best.confidence - AUTO_MATCH_MARGIN:
        return None
    return best


def _candidate(
    credit: BankCredit,
    book: MatchBook,
    debtor: str,
    full: Mapping[str, Document],
    digits: Mapping[str, Document],
    deal: ExpectedPayment | None,
    payer: frozenset[str],
    known_account: bool,
) -> Candidate | None:
    currency = credit.amount.currency
    amount = credit.amount
    points = 0
    reasons: list[str] = []
    methods: list[str] = []
    cited_full = _by_due(d for d in full.values() if d.debtor == debtor and d.currency == currency)
    cited_digits = _by_due(d for d in digits.values() if d.debtor == debtor and d.currency == currency)
    cited = _by_due([*cited_full, *cited_digits])
    if cited_full:
        points += CITED_POINTS
        methods.append("invoice number")
        reasons.append("the remittance cites " + ", ".join(d.number for d in cited_full))
    elif cited_digits:
        points += DIGITS_CITED_POINTS
        methods.append("invoice digits")
        reasons.append("the remittance cites the digits of " + ", ".join(d.number for d in cited_digits))
    elif deal is not None:
        points += CITED_POINTS
        methods.append("deal reference")
        reasons.append(f"the remittance cites {deal.label}")
    if known_account:
        points += ACCOUNT_POINTS
        methods.append("account")
        reasons.append(f"account {credit.counterparty_account} paid {debtor} before")
    name_points = book.name_score(debtor, payer)
    if name_points:
        points += name_points
        methods.append("name")
        reasons.append(
            f"the payer's name {'matches' if name_points == FULL_NAME_POINTS else 'partly matches'} "
            f"{book.debtor_names.get(debtor, debtor)!r}"
        )
    if not points:
        return None

    documents: list[Document] = []
    exact = False
    if cited:
        documents = cited
        open_total = _total(cited, currency)
        exact = True  # the cited invoices are what the cash is for, whatever the amount
        if amount == open_total:
            points += EXACT_AMOUNT_POINTS
            methods.append("amount")
            reasons.append(f"the amount is exactly what they have open ({open_total})")
        else:
            points += INEXACT_AMOUNT_POINTS
            what = "a part payment" if amount < open_total else "an over-payment"
            reasons.append(f"{amount} against {open_total} open: {what}")
    elif deal is not None:
        invoices = book.invoices_of(debtor, currency)
        by_number = {d.number: d for d in invoices}
        documents = [by_number[n] for n in deal.documents if n in by_number] or invoices
        exact = True
        if amount == deal.amount:
            points += EXACT_AMOUNT_POINTS
            methods.append("amount")
            reasons.append(f"the amount is what {deal.label} expects ({deal.amount})")
        else:
            points += INEXACT_AMOUNT_POINTS
            reasons.append(f"{amount} against the {deal.amount} {deal.label} expects")
    else:
        documents, reason = _documents_for_amount(book, debtor, amount)
        if reason:
            points += EXACT_AMOUNT_POINTS
            methods.append("amount")
            reasons.append(reason)
            exact = True
        else:
            documents = book.invoices_of(debtor, currency)
    return Candidate(
        debtor=debtor,
        documents=tuple(d.number for d in documents),
        confidence=min(points, 100),
        method=" + ".join(methods),
        reasons=tuple(reasons),
        exact=exact,
    )


def _documents_for_amount(book: MatchBook, debtor: str, amount: Money) -> tuple[list[Document], str]:
    """The debtor's documents an exact amount points at, and why ('' when it points at none)."""
    invoices = book.invoices_of(debtor, amount.currency)
    same = [d for d in invoices if d.open_amount == amount]
    if len(same) == 1:
        return same, f"the amount is what invoice {same[0].number} has open"
    by_number = {d.number: d for d in invoices}
    for expected in book.expected_of(debtor, amount.currency):
        if expected.amount == amount:
            covered = [by_number[n] for n in expected.documents if n in by_number] or invoices
            return covered, f"the amount is what {expected.label} expects"
    if invoices and _total(invoices, amount.currency) == amount:
        return invoices, "the amount is everything the debtor has open"
    return [], ""
