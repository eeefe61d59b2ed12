"""Simulated debtor accounts: names, account codes, contacts, terms, credit limits and flags.

Shares used (assumptions, not survey figures): 5% individuals or sole traders, 2% (by
default) invoiced in EUR or USD, 1% do-not-contact, about 3% key accounts (the busiest
accounts), 12% with no email and 15% with no phone on the primary contact, 15% without a
credit limit. Payment terms are 14, 30 or 60 days weighted 25/65/10 (see
`arrears.sim.behaviour`, figure 6); key accounts get longer terms, individuals shorter.
"""

import random
from collections import Counter
from dataclasses import dataclass

from arrears.core.ledger import Contact, Debtor, DebtorFlag, PostalAddress
from arrears.core.money import Money
from arrears.sim import names
from arrears.sim.behaviour import BehaviourType

TERMS = (14, 30, 60)
TERM_WEIGHTS = (0.25, 0.65, 0.10)
KEY_ACCOUNT_TERM_WEIGHTS = (0.05, 0.50, 0.45)
INDIVIDUAL_TERM_WEIGHTS = (0.60, 0.40, 0.0)

# country, currency, language, timezone, share among foreign debtors
_FOREIGN = (
    ("IE", "EUR", "en", "Europe/Dublin", 0.42),
    ("NL", "EUR", "nl", "Europe/Amsterdam", 0.14),
    ("DE", "EUR", "de", "Europe/Berlin", 0.14),
    ("US", "USD", "en", "America/New_York", 0.30),
)


@dataclass(frozen=True, slots=True)
class DebtorTraits:
    """What the ledger drawing needs to know about a debtor beyond the `Debtor` value."""

    currency: str
    terms_days: int
    charges_vat: bool  # UK VAT at 20% on top of the net price; exports are zero-rated


class DebtorFactory:
    """Draws the debtor accounts of one creditor, keeping their account codes unique."""

    def __init__(self, rng: random.Random, creditor: str, foreign_share: float) -> None:
        self._rng = rng
        self._creditor = creditor
        self._foreign_share = foreign_share
        self._codes: Counter[str] = Counter()

    def _account_code(self, name: str) -> str:
        """Sage-style code: up to five letters of the name and a counter, 'HARRI001' (a
        thousandth account with the same letters gets a four-digit counter)."""
        prefix = names.account_prefix(name)
        self._codes[prefix] += 1
        return f"{prefix}{self._codes[prefix]:03d}"

    def draw(
        self, behaviour: BehaviourType, *, busy: bool, monthly_billing_minor: int
    ) -> tuple[Debtor, DebtorTraits]:
        """One debtor account. `busy` marks the creditor's busiest accounts (key-account
        candidates); `monthly_billing_minor` sizes the credit limit."""
        rng = self._rng
        country, currency, language, timezone = "GB", "GBP", "en", "Europe/London"
        individual = False
        if rng.random() < self._foreign_share:
            country, currency, language, timezone = _pick_foreign(rng)
        elif rng.random() < 0.05:
            individual = True

        flags: set[DebtorFlag] = set()
        contacts: tuple[Contact, ...]
        if individual:
            name, first, last = names.sole_trader_name(rng)
            code_from = last  # a sole trader's account is filed under the surname
            contacts = (self._individual_contact(first, last),)
            flags.add(DebtorFlag.INDIVIDUAL)
        else:
            name = names.company_name(rng, country)
            code_from = name
            contacts = self._company_contacts(name, country)
        if busy and not individual and rng.random() < 0.7:
            flags.add(DebtorFlag.KEY_ACCOUNT)
        if rng.random() < 0.01:
            flags.add(DebtorFlag.DO_NOT_CONTACT)
        if behaviour is BehaviourType.NON_PAYER:
            if rng.random() < 0.3:
                flags.add(DebtorFlag.CREDIT_HOLD)
            if rng.random() < 0.05:
                flags.add(DebtorFlag.INSOLVENT)
        elif behaviour is BehaviourType.CHRONIC_LATE and rng.random() < 0.05:
            flags.add(DebtorFlag.CREDIT_HOLD)

        if individual:
            weights = INDIVIDUAL_TERM_WEIGHTS
        elif DebtorFlag.KEY_ACCOUNT in flags:
            weights = KEY_ACCOUNT_TERM_WEIGHTS
        else:
            weights = TERM_WEIGHTS
        terms = rng.choices(TERMS, weights)[0]

        credit_limit: Money | None = None
        if rng.random() >= 0.15:
            # Twice a month's billing, rounded up to 500 of the currency, at least 1,000.
            step = 500 * 100
            limit = max(1000 * 100, -(-2 * monthly_billing_minor // step) * step)
            credit_limit = Money.from_minor_units(limit, currency)

        debtor = Debtor(
            creditor=self._creditor,
            account_code=self._account_code(code_from),
            name=name,
            currency=currency,
            payment_terms_days=terms,
            credit_limit=credit_limit,
            language=language,
            timezone=timezone,
            contacts=contacts,
            flags=frozenset(flags),
        )
        return debtor, DebtorTraits(currency, terms, charges_vat=country == "GB")

    def _company_contacts(self, name: str, country: str) -> tuple[Contact, ...]:
        rng = self._rng
        domain = names.domain_for(name)
        lines, postcode = names.address(rng, country)
        address = PostalAddress(lines, postcode, country)
        first, last = names.person_name(rng)
        phone_share = 0.85 if country in ("GB", "US") else 0.0
        primary = Contact(
            name=f"{first} {last}",
            email=names.mailbox(rng, first, last, domain) if rng.random() < 0.88 else None,
            phone=names.phone_number(rng, country) if rng.random() < phone_share else None,
            address=address,
            role="accounts",
            primary=True,
        )
        if rng.random() >= 0.35:
            return (primary,)
        first, last = names.person_name(rng)
        second = Contact(
            name=f"{first} {last}",
            email=f"{first}.{last}@{domain}".lower() if rng.random() < 0.8 else None,
            phone=names.phone_number(rng, country) if rng.random() < phone_share else None,
            address=address,
            role=rng.choice(("director", "owner", "operations", "purchasing")),
            primary=False,
        )
        return (primary, second)

    def _individual_contact(self, first: str, last: str) -> Contact:
        rng = self._rng
        lines, postcode = names.address(rng, "GB")
        email = f"{first}.{last}{rng.randint(1, 99)}@mail.example".lower() if rng.random() < 0.75 else None
        phone = f"07700 900{rng.randint(0, 999):03d}" if rng.random() < 0.9 else None
        return Contact(f"{first} {last}", email, phone, PostalAddress(lines, postcode, "GB"), role="owner")


def _pick_foreign(rng: random.Random) -> tuple[str, str, str, str]:
    u = rng.random()
    for country, currency, language, timezone, share in _FOREIGN:
        if u < share:
            return country, currency, language, timezone
        u -= share
    country, currency, language, timezone, _ = _FOREIGN[-1]
    return country, currency, language, timezone
