"""Brands: how a creditor appears in the messages sent for it.

A **brand** holds the creditor's trading name, logo, letterhead (address, company number, VAT
number), colours, sender and reply-to addresses, signature, the phone number debtors call, and
the payment details a debtor needs (bank account, with the IBAN checked by `schwifty`; sort
code and account number; a payment link).

A creditor chooses how messages go out (`BrandMode`):

- **white label** (`white_label`): in the creditor's own name, from its own letterhead and
  sender, signed by its credit control; the debtor never sees the agency;
- **agency** (`agency`): in the agency's name "on behalf of" the creditor, from the agency's
  letterhead, sender, phone and signature (`Brand.agency`).

Either way `Brand.presenter` is the identity the templates show. Templates declare which brand
fields they need (`arrears.comms.templates`); `check_brand` refuses a brand that lacks one when
it is configured, naming every missing field, rather than failing at send time.

Everything that ends up in HTML, CSS or a URL is checked when the brand is built: colours are
`#RRGGBB`, links are http(s) URLs without quotes or spaces, an SVG logo carries no script.
"""

import base64
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

from arrears.core.errors import ArrearsError
from arrears.core.ledger import PostalAddress


class BrandError(ArrearsError, ValueError):
    """A brand that cannot be used: the message names the creditor, the field and what to do."""


class BrandMode(StrEnum):
    WHITE_LABEL = "white_label"  # in the creditor's own name
    AGENCY = "agency"  # in the agency's name, on behalf of the creditor


_EMAIL = re.compile(r"^[^@\s<>\"',;]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+$")
_PHONE = re.compile(r"^\+?[0-9 ()\-]{6,24}$")
_COLOUR = re.compile(r"^#[0-9A-Fa-f]{6}$")
_URL = re.compile(r"^https?://[^\s\"'<>\\]+$")
_SORT_CODE = re.compile(r"^(\d{2})-?(\d{2})-?(\d{2})$")
_ACCOUNT_NUMBER = re.compile(r"^\d{8}$")
_SMS_SENDER = re.compile(r"^(?:\+?[0-9]{6,15}|[A-Za-z0-9 ]{1,11})$")
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_SVG_DANGER = re.compile(rb"<\s*script|\bon[a-z]+\s*=|javascript:|<\s*foreignObject", re.IGNORECASE)
_MAX_LOGO_BYTES = 512 * 1024


def _check(pattern: re.Pattern[str], value: str | None, where: str, what: str) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    if not pattern.match(value):
        raise BrandError(f"{where}: {value!r} is not {what}")
    return value


@dataclass(frozen=True, slots=True)
class Logo:
    """A PNG or SVG image, shown at the top of emails and letters."""

    media_type: str  # image/png or image/svg+xml
    data: bytes

    def __post_init__(self) -> None:
        if self.media_type not in ("image/png", "image/svg+xml"):
            raise BrandError(f"logo: {self.media_type!r} is not a PNG or SVG image; give a .png or .svg file")
        if not self.data:
            raise BrandError("logo: the file is empty")
        if len(self.data) > _MAX_LOGO_BYTES:
            raise BrandError(
                f"logo: {len(self.data)} bytes is more than {_MAX_LOGO_BYTES}; "
                "use a smaller image (it goes in every email)"
            )
        if self.media_type == "image/png" and not self.data.startswith(_PNG_SIGNATURE):
            raise BrandError("logo: the file is not a PNG image (its first bytes are not a PNG signature)")
        if self.media_type == "image/svg+xml":
            if b"<svg" not in self.data[:4096].lower():
                raise BrandError("logo: the file is not an SVG image (no <svg> element at its start)")
            if _SVG_DANGER.search(self.data):
                raise BrandError("logo: the SVG holds a script or an event handler; remove it or use a PNG")

    @classmethod
    def from_file(cls, path: Path) -> "Logo":
        suffix = path.suffix.lower()
        media_type = {".png": "image/png", ".svg": "image/svg+xml"}.get(suffix)
        if media_type is None:
            raise BrandError(f"logo {path}: {suffix or 'no extension'} is not .png or .svg")
        try:
            data = path.read_bytes()
        except OSError as error:
            raise BrandError(f"logo {path}: cannot be read ({error.strerror})") from None
        return cls(media_type, data)

    @property
    def extension(self) -> str:
        return "png" if self.media_type == "image/png" else "svg"

    @property
    def data_uri(self) -> str:
        """The image inline, for letters (WeasyPrint) and previews."""
        return f"data:{self.media_type};base64,{base64.b64encode(self.data).decode('ascii')}"


@dataclass(frozen=True, slots=True)
class Colours:
    """Brand colours as #RRGGBB: `primary` for headings and rules, `accent` for buttons."""

    primary: str = "#1F3A5F"
    accent: str = "#0B6E4F"
    text: str = "#222222"

    def __post_init__(self) -> None:
        for name in ("primary", "accent", "text"):
            value = getattr(self, name)
            if not isinstance(value, str) or not _COLOUR.match(value):
                raise BrandError(f"colours.{name}: {value!r} is not a colour; write it as #RRGGBB")


@dataclass(frozen=True, slots=True)
class Letterhead:
    """What the top and foot of a letter carry."""

    address: PostalAddress | None = None
    company_number: str | None = None
    vat_number: str | None = None
    registered_in: str | None = None  # "England and Wales"
    website: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "website", _check(_URL, self.website, "letterhead.website", "an http(s) URL")
        )


@dataclass(frozen=True, slots=True)
class Sender:
    """Who an email comes from and where replies go; `address` is the return address on letters."""

    name: str | None = None
    email: str | None = None
    reply_to: str | None = None
    address: PostalAddress | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "email", _check(_EMAIL, self.email, "sender.email", "an email address"))
        object.__setattr__(
            self, "reply_to", _check(_EMAIL, self.reply_to, "sender.reply_to", "an email address")
        )


@dataclass(frozen=True, slots=True)
class PaymentDetails:
    """How a debtor pays. A UK account is a sort code and an 8-digit account number; an IBAN is
    checked (country, length, check digits, bank code) by schwifty, and when both are given for
    a GB account they must name the same account."""

    account_name: str | None = None
    iban: str | None = None
    bic: str | None = None
    sort_code: str | None = None
    account_number: str | None = None
    payment_link: str | None = None

    def __post_init__(self) -> None:
        if self.iban:
            try:
                iban = IBAN(self.iban)
            except SchwiftyException as error:
                raise BrandError(f"payment.iban: {self.iban!r} is not a valid IBAN ({error})") from None
            object.__setattr__(self, "iban", iban.compact)
        else:
            object.__setattr__(self, "iban", None)
        if self.bic:
            try:
                object.__setattr__(self, "bic", str(BIC(self.bic)))
            except SchwiftyException as error:
                raise BrandError(f"payment.bic: {self.bic!r} is not a valid BIC ({error})") from None
        else:
            object.__setattr__(self, "bic", None)
        if self.sort_code:
            found = _SORT_CODE.match(self.sort_code.strip())
            if not found:
                raise BrandError(
                    f"payment.sort_code: {self.sort_code!r} is not a sort code; write it as 12-34-56"
                )
            object.__setattr__(self, "sort_code", "-".join(found.groups()))
        else:
            object.__setattr__(self, "sort_code", None)
        number = (self.account_number or "").replace(" ", "") or None
        if number is not None and not _ACCOUNT_NUMBER.match(number):
            raise BrandError(
                f"payment.account_number: {self.account_number!r} is not an 8-digit account number"
            )
        object.__setattr__(self, "account_number", number)
        if (self.sort_code is None) != (self.account_number is None):
            raise BrandError("payment: give both sort_code and account_number, or neither")
        if self.iban and self.iban.startswith("GB") and self.sort_code and self.account_number:
            iban = IBAN(self.iban)
            if (iban.branch_code, iban.account_code) != (
                self.sort_code.replace("-", ""),
                self.account_number,
            ):
                raise BrandError(
                    f"payment: the IBAN {iban.formatted} is for sort code {iban.branch_code[:2]}-"
                    f"{iban.branch_code[2:4]}-{iban.branch_code[4:]} account {iban.account_code}, not "
                    f"{self.sort_code} {self.account_number}; correct one of them"
                )
        object.__setattr__(
            self, "payment_link", _check(_URL, self.payment_link, "payment.payment_link", "an http(s) URL")
        )

    @property
    def iban_formatted(self) -> str | None:
        """The IBAN in groups of four, as people copy it."""
        return IBAN(self.iban).formatted if self.iban else None

    @property
    def has_bank_account(self) -> bool:
        return bool(self.iban or self.account_number)

    @property
    def is_empty(self) -> bool:
        return not (self.has_bank_account or self.payment_link)


@dataclass(frozen=True, slots=True)
class Agency:
    """The agency's own identity, for creditors who send in the agency's name."""

    name: str
    letterhead: Letterhead = field(default_factory=Letterhead)
    sender: Sender = field(default_factory=Sender)
    phone: str | None = None
    signature: str | None = None
    logo: Logo | None = None
    colours: Colours = field(default_factory=Colours)

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise BrandError("agency.name: the agency needs a name")
        object.__setattr__(self, "phone", _check(_PHONE, self.phone, "agency.phone", "a phone number"))


@dataclass(frozen=True, slots=True)
class Presenter:
    """The identity a message shows: the creditor's own (white label) or the agency's."""

    name: str
    letterhead: Letterhead
    sender: Sender
    phone: str | None
    signature: str | None
    logo: Logo | None
    colours: Colours
    on_behalf_of: str | None  # the creditor's trading name when the agency sends

    @property
    def signature_lines(self) -> tuple[str, ...]:
        return tuple(line.rstrip() for line in (self.signature or "").strip().splitlines())


@dataclass(frozen=True, slots=True)
class Brand:
    """How one creditor appears. See the module docstring; `presenter` is what templates show.

    - `legal_name`: the registered company name for letters ("Acme Widgets Ltd"), if different;
    - `portal_url`: the debtor portal's address, linked from every message when set;
    - `email_letter_copies`: letters are also emailed, with the PDF, to a debtor with an email;
    - `claim_statutory_interest`: superseded by the policy's `claim_interest_from` (which
      steps claim interest); kept so that existing brand files and stored brands still read;
      it changes nothing;
    - `sms_sender`: the SMS sender ID (up to 11 letters and digits) or number;
    - `notify_email`: where notices to the creditor itself go (a dispute raised by a debtor);
      without it, the creditor's own `sender.reply_to`, then `sender.email` (`notify_address`).
    """

    creditor: str
    trading_name: str
    mode: BrandMode = BrandMode.WHITE_LABEL
    legal_name: str | None = None
    letterhead: Letterhead = field(default_factory=Letterhead)
    colours: Colours = field(default_factory=Colours)
    logo: Logo | None = None
    sender: Sender = field(default_factory=Sender)
    signature: str | None = None
    phone: str | None = None
    payment: PaymentDetails = field(default_factory=PaymentDetails)
    portal_url: str | None = None
    agency: Agency | None = None
    email_letter_copies: bool = True
    claim_statutory_interest: bool = False
    sms_sender: str | None = None
    notify_email: str | None = None

    def __post_init__(self) -> None:
        where = f"brand of creditor {self.creditor}"
        if not self.trading_name.strip():
            raise BrandError(f"{where}: trading_name is empty; give the name debtors know the creditor by")
        try:
            object.__setattr__(self, "mode", BrandMode(self.mode))
        except ValueError:
            raise BrandError(f"{where}: mode {self.mode!r} is not white_label or agency") from None
        if self.mode is BrandMode.AGENCY and self.agency is None:
            raise BrandError(
                f"{where}: mode is agency but no agency is set; add the agency's name, sender and "
                "letterhead, or choose white_label"
            )
        object.__setattr__(self, "phone", _check(_PHONE, self.phone, "phone", "a phone number"))
        object.__setattr__(self, "portal_url", _check(_URL, self.portal_url, "portal_url", "an http(s) URL"))
        object.__setattr__(
            self, "notify_email", _check(_EMAIL, self.notify_email, "notify_email", "an email address")
        )
        object.__setattr__(
            self,
            "sms_sender",
            _check(
                _SMS_SENDER, self.sms_sender, "sms_sender", "a phone number or up to 11 letters and digits"
            ),
        )

    @property
    def notify_address(self) -> str | None:
        """Where notices to the creditor go: `notify_email`, else the creditor's own reply-to or
        sender address (never the agency's: in agency mode those are the agency's own)."""
        return self.notify_email or self.sender.reply_to or self.sender.email

    @property
    def display_legal_name(self) -> str:
        return self.legal_name or self.trading_name

    @property
    def presenter(self) -> Presenter:
        if self.mode is BrandMode.AGENCY and self.agency is not None:
            agency = self.agency
            return Presenter(
                agency.name,
                agency.letterhead,
                agency.sender,
                agency.phone,
                agency.signature,
                agency.logo,
                agency.colours,
                self.trading_name,
            )
        return Presenter(
            self.trading_name,
            self.letterhead,
            self.sender,
            self.phone,
            self.signature,
            self.logo,
            self.colours,
            None,
        )

    def with_logo(self, logo: Logo | None) -> "Brand":
        return replace(self, logo=logo)


# --- what templates need -----------------------------------------------------------------------

# A template's requirements are field paths; in agency mode the presenter's fields (sender,
# letterhead, phone, signature) are the agency's and are reported as `agency.<path>`.
BRAND_FIELDS: Mapping[str, str] = {
    "sender.email": "the address emails come from",
    "sender.name": "the name emails come from",
    "sender.address": "the return address printed on letters",
    "letterhead.address": "the address on the letterhead",
    "letterhead.company_number": "the company number on letters",
    "phone": "the number debtors call",
    "signature": "who signs the messages",
    "payment": "how to pay: a bank account (IBAN or sort code and account number) or a payment link",
    "payment.bank_account": "a bank account (IBAN or sort code and account number)",
    "sms_sender": "the SMS sender ID or number",
    "notify_email": "where notices to the creditor go (notify_email, or the creditor's own sender.reply_to or sender.email)",
}
_PRESENTER_FIELDS = ("sender.", "letterhead.", "phone", "signature")


def _present(brand: Brand, path: str) -> bool:
    presenter = brand.presenter
    match path:
        case "sender.email":
            return bool(presenter.sender.email)
        case "sender.name":
            return bool(presenter.sender.name)
        case "sender.address":
            return presenter.sender.address is not None or presenter.letterhead.address is not None
        case "letterhead.address":
            return presenter.letterhead.address is not None
        case "letterhead.company_number":
            return bool(presenter.letterhead.company_number)
        case "phone":
            return bool(presenter.phone)
        case "signature":
            return bool(presenter.signature and presenter.signature.strip())
        case "payment":
            return not brand.payment.is_empty
        case "payment.bank_account":
            return brand.payment.has_bank_account
        case "sms_sender":
            return bool(brand.sms_sender)
        case "notify_email":
            return brand.notify_address is not None
    raise BrandError(f"unknown brand field {path!r}; known: {', '.join(BRAND_FIELDS)}")


def missing_fields(brand: Brand, required: Iterable[str]) -> tuple[str, ...]:
    """The fields of `required` the brand lacks, named as the brand file names them."""
    missing: list[str] = []
    for path in sorted(required):
        if not _present(brand, path):
            in_agency = brand.mode is BrandMode.AGENCY and path.startswith(_PRESENTER_FIELDS)
            missing.append(f"agency.{path}" if in_agency else path)
    return tuple(missing)


def check_brand(brand: Brand, needs: Iterable[tuple[str, Iterable[str]]]) -> None:
    """Refuse a brand that lacks a field some template needs.

    `needs` pairs a label ("template 'formal_demand' (letter)") with the fields it requires.
    The error names every gap at once, so the brand can be fixed in one go.
    """
    gaps: list[str] = []
    for label, required in needs:
        missing = missing_fields(brand, required)
        if missing:
            gaps.append(f"{label} needs {', '.join(missing)}")
    if gaps:
        raise BrandError(
            f"brand of creditor {brand.creditor} is incomplete: {'; '.join(gaps)}. "
            "Add them to the brand file and run `arrears brand set` again"
        )


# --- the brand file (YAML or JSON) -------------------------------------------------------------

_TOP_FIELDS = {
    "trading_name",
    "mode",
    "legal_name",
    "letterhead",
    "colours",
    "logo",
    "sender",
    "signature",
    "phone",
    "payment",
    "portal_url",
    "agency",
    "email_letter_copies",
    "claim_statutory_interest",
    "sms_sender",
    "notify_email",
}
_LETTERHEAD_FIELDS = {"address", "company_number", "vat_number", "registered_in", "website"}
_SENDER_FIELDS = {"name", "email", "reply_to", "address"}
_PAYMENT_FIELDS = {"account_name", "iban", "bic", "sort_code", "account_number", "payment_link"}
_COLOUR_FIELDS = {"primary", "accent", "text"}
_AGENCY_FIELDS = {"name", "letterhead", "sender", "phone", "signature", "logo", "colours"}


def _mapping(value: object, where: str, allowed: set[str]) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise BrandError(f"{where}: expected a mapping of fields, not {type(value).__name__}")
    unknown = sorted(set(map(str, value)) - allowed)
    if unknown:
        raise BrandError(
            f"{where}: unknown field(s) {', '.join(unknown)}; known: {', '.join(sorted(allowed))}"
        )
    return {str(key): item for key, item in value.items()}


def _text(value: object, where: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise BrandError(f"{where}: expected text, not {type(value).__name__}")
    text = str(value).strip()
    return text or None


def _address(value: object, where: str) -> PostalAddress | None:
    """An address as {lines: [...], postcode, country}, a list of lines, or a multi-line string."""
    if value is None:
        return None
    if isinstance(value, str):
        value = [line for line in value.splitlines() if line.strip()]
    if isinstance(value, list):
        value = {"lines": value}
    fields = _mapping(value, where, {"lines", "postcode", "country"})
    lines = fields.get("lines") or []
    if not isinstance(lines, list) or not all(isinstance(line, str) for line in lines):
        raise BrandError(f"{where}.lines: expected a list of address lines")
    cleaned = tuple(line.strip() for line in lines if line.strip())
    postcode = _text(fields.get("postcode"), f"{where}.postcode") or ""
    if not cleaned and not postcode:
        raise BrandError(f"{where}: the address is empty")
    return PostalAddress(cleaned, postcode, _text(fields.get("country"), f"{where}.country") or "GB")


def _address_dict(address: PostalAddress | None) -> dict[str, Any] | None:
    if address is None:
        return None
    return {"lines": list(address.lines), "postcode": address.postcode, "country": address.country}


def _letterhead(value: object, where: str) -> Letterhead:
    fields = _mapping(value, where, _LETTERHEAD_FIELDS)
    return Letterhead(
        address=_address(fields.get("address"), f"{where}.address"),
        company_number=_text(fields.get("company_number"), f"{where}.company_number"),
        vat_number=_text(fields.get("vat_number"), f"{where}.vat_number"),
        registered_in=_text(fields.get("registered_in"), f"{where}.registered_in"),
        website=_text(fields.get("website"), f"{where}.website"),
    )


def _sender(value: object, where: str) -> Sender:
    fields = _mapping(value, where, _SENDER_FIELDS)
    return Sender(
        name=_text(fields.get("name"), f"{where}.name"),
        email=_text(fields.get("email"), f"{where}.email"),
        reply_to=_text(fields.get("reply_to"), f"{where}.reply_to"),
        address=_address(fields.get("address"), f"{where}.address"),
    )


def _colours(value: object, where: str) -> Colours:
    fields = _mapping(value, where, _COLOUR_FIELDS)
    return Colours(**{key: str(item) for key, item in fields.items()})


def _logo(value: object, where: str, base_dir: Path | None) -> Logo | None:
    if value is None:
        return None
    name = _text(value, where)
    if name is None:
        return None
    path = Path(name)
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    return Logo.from_file(path)


def _flag(value: object, where: str, default: bool) -> bool:
    if value is None:
        return default
    if not isinstance(value, bool):
        raise BrandError(f"{where}: expected true or false, not {value!r}")
    return value


def brand_from_dict(
    data: Mapping[str, Any], creditor: str, *, base_dir: Path | None = None, logo: Logo | None = None
) -> Brand:
    """A brand from the mapping a YAML or JSON brand file holds (see docs/comms.md).

    `logo` paths are read relative to `base_dir`; a brand read back from the store passes the
    stored `logo` instead. Unknown fields are refused, so a misspelt one is not silently lost.
    """
    fields = _mapping(data, "brand", _TOP_FIELDS)
    try:
        agency = None
        if fields.get("agency") is not None:
            agency_fields = _mapping(fields["agency"], "agency", _AGENCY_FIELDS)
            agency = Agency(
                name=_text(agency_fields.get("name"), "agency.name") or "",
                letterhead=_letterhead(agency_fields.get("letterhead"), "agency.letterhead"),
                sender=_sender(agency_fields.get("sender"), "agency.sender"),
                phone=_text(agency_fields.get("phone"), "agency.phone"),
                signature=_text(agency_fields.get("signature"), "agency.signature"),
                logo=_logo(agency_fields.get("logo"), "agency.logo", base_dir),
                colours=_colours(agency_fields.get("colours"), "agency.colours"),
            )
        payment = _mapping(fields.get("payment"), "payment", _PAYMENT_FIELDS)
        return Brand(
            creditor=creditor,
            trading_name=_text(fields.get("trading_name"), "trading_name") or "",
            mode=_mode(fields.get("mode")),
            legal_name=_text(fields.get("legal_name"), "legal_name"),
            letterhead=_letterhead(fields.get("letterhead"), "letterhead"),
            colours=_colours(fields.get("colours"), "colours"),
            logo=logo if logo is not None else _logo(fields.get("logo"), "logo", base_dir),
            sender=_sender(fields.get("sender"), "sender"),
            signature=_text(fields.get("signature"), "signature"),
            phone=_text(fields.get("phone"), "phone"),
            payment=PaymentDetails(**{key: _text(value, f"payment.{key}") for key, value in payment.items()}),
            portal_url=_text(fields.get("portal_url"), "portal_url"),
            agency=agency,
            email_letter_copies=_flag(fields.get("email_letter_copies"), "email_letter_copies", True),
            claim_statutory_interest=_flag(
                fields.get("claim_statutory_interest"), "claim_statutory_interest", False
            ),
            sms_sender=_text(fields.get("sms_sender"), "sms_sender"),
            notify_email=_text(fields.get("notify_email"), "notify_email"),
        )
    except ValueError as error:
        message = str(error)
        if message.startswith("brand of creditor"):
            raise
        raise BrandError(f"brand of creditor {creditor}: {message}") from None


def _mode(value: object) -> BrandMode:
    if value is None:
        return BrandMode.WHITE_LABEL
    try:
        return BrandMode(str(value))
    except ValueError:
        raise BrandError(f"mode: {value!r} is not white_label or agency") from None


def _letterhead_dict(letterhead: Letterhead) -> dict[str, Any]:
    return {
        "address": _address_dict(letterhead.address),
        "company_number": letterhead.company_number,
        "vat_number": letterhead.vat_number,
        "registered_in": letterhead.registered_in,
        "website": letterhead.website,
    }


def _sender_dict(sender: Sender) -> dict[str, Any]:
    return {
        "name": sender.name,
        "email": sender.email,
        "reply_to": sender.reply_to,
        "address": _address_dict(sender.address),
    }


def _colours_dict(colours: Colours) -> dict[str, str]:
    return {"primary": colours.primary, "accent": colours.accent, "text": colours.text}


def brand_to_dict(brand: Brand) -> dict[str, Any]:
    """The brand as a brand file would hold it, without the logos (the store keeps them apart)."""
    agency = brand.agency
    return {
        "trading_name": brand.trading_name,
        "mode": brand.mode.value,
        "legal_name": brand.legal_name,
        "letterhead": _letterhead_dict(brand.letterhead),
        "colours": _colours_dict(brand.colours),
        "sender": _sender_dict(brand.sender),
        "signature": brand.signature,
        "phone": brand.phone,
        "payment": {
            "account_name": brand.payment.account_name,
            "iban": brand.payment.iban,
            "bic": brand.payment.bic,
            "sort_code": brand.payment.sort_code,
            "account_number": brand.payment.account_number,
            "payment_link": brand.payment.payment_link,
        },
        "portal_url": brand.portal_url,
        "agency": None
        if agency is None
        else {
            "name": agency.name,
            "letterhead": _letterhead_dict(agency.letterhead),
            "sender": _sender_dict(agency.sender),
            "phone": agency.phone,
            "signature": agency.signature,
            "colours": _colours_dict(agency.colours),
        },
        "email_letter_copies": brand.email_letter_copies,
        "claim_statutory_interest": brand.claim_statutory_interest,
        "sms_sender": brand.sms_sender,
        "notify_email": brand.notify_email,
    }
