"""ISO 20022 camt.053 bank-to-customer statements (and camt.054 notifications), read with lxml.

One file (a `Document`) holds one or more statements (`Stmt`), each with its account, balances
and entries (`Ntry`). Rules followed here:

- any message version is read (camt.053.001.02 to .13 differ only in details handled below:
  `Sts` as text or as `Sts/Cd`, party names under `Dbtr/Nm` or `Dbtr/Pty/Nm`, `BIC` or `BICFI`);
- camt.054 debit/credit notifications carry booked entries in the same shape and are read the
  same way (they have no balances); camt.052 intraday reports are refused, since they mix in
  entries that are not booked yet;
- only booked entries (`Sts` BOOK) are accepted: a pending entry is not cash;
- the sign comes from `CdtDbtInd` (CRDT positive, DBIT negative); a reversal (`RvslInd`) is
  already booked in the direction the indicator gives;
- an entry that batches several transactions (several `TxDtls`) becomes one transaction per
  `TxDtls`, so that each payer's payment can be matched; their amounts must add up to the
  entry's amount;
- the opening balance is OPBD (or PRCD, the previous closing), the closing balance CLBD.
"""

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from lxml import etree

from arrears.intake.bank.statement import (
    BalanceDraft,
    BankStatement,
    StatementDraft,
    StatementError,
    StatementFormat,
    TransactionDraft,
    finish_statements,
)

_NAMESPACE = re.compile(
    r"^urn:iso:std:iso:20022:tech:xsd:camt\.(?P<message>05[2-4])\.001\.(?P<version>\d{2})$"
)
_CAMT_MARKER = b"urn:iso:std:iso:20022:tech:xsd:camt."
_AMOUNT = re.compile(r"^\d{1,18}(\.\d{1,5})?$")
_NOT_PROVIDED = "NOTPROVIDED"

# An lxml element; lxml ships no type information.
Element = Any


@dataclass(frozen=True, slots=True)
class _Message:
    statement_format: StatementFormat
    container: str
    statement: str


_MESSAGES = {
    "053": _Message("camt.053", "BkToCstmrStmt", "Stmt"),
    "054": _Message("camt.054", "BkToCstmrDbtCdtNtfctn", "Ntfctn"),
}


def looks_like_camt(data: bytes) -> bool:
    """Whether `data` starts like an XML document in a camt namespace."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"<") and _CAMT_MARKER in head


def read_camt(data: bytes, source: str) -> list[BankStatement]:
    """The statements of a camt.053 (or camt.054) file; `source` names it in errors."""
    root = _parse_xml(data, source)
    namespace = etree.QName(root).namespace or ""
    match = _NAMESPACE.match(namespace)
    if match is None:
        raise StatementError.at(
            source,
            None,
            f"XML namespace {namespace or '(none)'!r} is not an ISO 20022 camt.053 statement",
        )
    if match["message"] == "052":
        raise StatementError.at(
            source,
            None,
            "a camt.052 account report (intraday) is not a statement: import the camt.053 statement",
        )
    message = _MESSAGES[match["message"]]
    _strip_namespaces(root)
    container = root.find(message.container)
    if etree.QName(root).localname != "Document" or container is None:
        raise StatementError.at(
            source, _line(root), f"expected Document/{message.container} in a {message.statement_format} file"
        )
    statements = container.findall(message.statement)
    if not statements:
        raise StatementError.at(source, _line(container), f"no {message.statement} in the file")
    drafts = [_statement(source, element) for element in statements]
    return finish_statements(source, message.statement_format, drafts)


def _parse_xml(data: bytes, source: str) -> Element:
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, remove_comments=True, remove_pis=True, huge_tree=False
    )
    try:
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        line = f"line {error.lineno}" if error.lineno else None
        raise StatementError.at(source, line, f"not well-formed XML: {error.msg}") from None


def _strip_namespaces(root: Element) -> None:
    # The namespace was checked once; plain names keep the paths below readable.
    for element in root.iter():
        if isinstance(element.tag, str):
            element.tag = etree.QName(element).localname


def _line(element: Element) -> str:
    return f"line {element.sourceline}"


def _text(element: Element, path: str) -> str | None:
    """The stripped text at `path` under `element`, or None when absent or blank."""
    found = element.find(path)
    if found is None or found.text is None:
        return None
    text = found.text.strip()
    return text or None


def _first_text(element: Element, *paths: str) -> str | None:
    for path in paths:
        text = _text(element, path)
        if text is not None:
            return text
    return None


def _statement(source: str, element: Element) -> StatementDraft:
    where = _line(element)
    account = _first_text(element, "Acct/Id/IBAN", "Acct/Id/Othr/Id")
    if account is None:
        raise StatementError.at(source, where, "Acct/Id: the statement names no account (IBAN or Othr/Id)")
    opening, closing = _balances(source, element)
    entries = element.findall("Ntry")
    currency = _text(element, "Acct/Ccy")
    if currency is None:
        candidates = [b.currency for b in (opening, closing) if b is not None]
        candidates += [_currency_of(source, e.find("Amt")) for e in entries[:1]]
        if not candidates:
            raise StatementError.at(source, where, "Acct/Ccy: the statement gives no currency")
        currency = candidates[0]
    transactions: list[TransactionDraft] = []
    for number, entry in enumerate(entries, start=1):
        transactions.extend(_entry(source, entry, number))
    return StatementDraft(
        where=where,
        account=account,
        currency=currency,
        statement_id=_text(element, "Id"),
        opening_balance=opening,
        closing_balance=closing,
        from_date=_optional_date(source, element, "FrToDt/FrDtTm"),
        to_date=_optional_date(source, element, "FrToDt/ToDtTm"),
        bank=_first_text(element, "Acct/Svcr/FinInstnId/BIC", "Acct/Svcr/FinInstnId/BICFI"),
        transactions=transactions,
    )


def _balances(source: str, statement: Element) -> tuple[BalanceDraft | None, BalanceDraft | None]:
    found: dict[str, BalanceDraft] = {}
    for balance in statement.findall("Bal"):
        code = _first_text(balance, "Tp/CdOrPrtry/Cd", "Tp/CdOrPrtry/Prtry")
        if code not in ("OPBD", "PRCD", "CLBD"):
            continue
        if code in found:
            raise StatementError.at(source, _line(balance), f"Bal: a second {code} balance in one statement")
        where = _line(balance)
        amount = _amount(source, balance.find("Amt"), where)
        sign = _sign(source, balance, where)
        found[code] = BalanceDraft(where, sign * amount, _currency_of(source, balance.find("Amt")))
    return found.get("OPBD", found.get("PRCD")), found.get("CLBD")


def _entry(source: str, entry: Element, number: int) -> list[TransactionDraft]:
    where = f"{_line(entry)} (entry {number})"
    status = _status(entry)
    if status != "BOOK":
        raise StatementError.at(
            source, where, f"Sts: entry status is {status or 'missing'}; only booked (BOOK) entries are read"
        )
    amount = _amount(source, entry.find("Amt"), where)
    currency = _currency_of(source, entry.find("Amt"))
    sign = _sign(source, entry, where)
    value_date = _optional_date(source, entry, "ValDt/Dt") or _optional_date(source, entry, "ValDt/DtTm")
    booking_date = (
        _optional_date(source, entry, "BookgDt/Dt")
        or _optional_date(source, entry, "BookgDt/DtTm")
        or value_date
    )
    if booking_date is None:
        raise StatementError.at(source, where, "BookgDt: the entry has neither a booking nor a value date")
    entry_code = _bank_transaction_code(entry)
    entry_reference = _text(entry, "AcctSvcrRef")
    entry_info = _text(entry, "AddtlNtryInf")
    details = entry.findall("NtryDtls/TxDtls")

    def draft(part: Element | None, part_where: str, part_amount: Decimal) -> TransactionDraft:
        facts = _details(part) if part is not None else _Details()
        narration = _unique([*facts.narration, entry_info])
        return TransactionDraft(
            where=part_where,
            booking_date=booking_date,
            value_date=value_date,
            amount=part_amount,
            currency=currency,
            narration="\n".join(narration),
            counterparty_name=facts.payer_name if part_amount > 0 else facts.payee_name,
            counterparty_account=facts.payer_account if part_amount > 0 else facts.payee_account,
            reference=facts.creditor_reference or facts.end_to_end_id,
            end_to_end_id=facts.end_to_end_id,
            bank_reference=facts.bank_reference or entry_reference,
            transaction_code=entry_code or facts.transaction_code,
        )

    if len(details) <= 1:
        return [draft(details[0] if details else None, where, sign * amount)]

    parts = []
    for index, part in enumerate(details, start=1):
        part_where = f"{_line(part)} (entry {number}, transaction {index})"
        amount_element = part.find("Amt")
        if amount_element is None:
            amount_element = part.find("AmtDtls/TxAmt/Amt")
        if amount_element is None:
            raise StatementError.at(
                source,
                part_where,
                "Amt: a batched entry's transaction gives no amount, so it cannot be split",
            )
        if _currency_of(source, amount_element) != currency:
            raise StatementError.at(
                source, part_where, f"Amt: transaction amount is not in the entry's currency {currency}"
            )
        part_sign = _sign(source, part, part_where) if part.find("CdtDbtInd") is not None else sign
        parts.append(draft(part, part_where, part_sign * _amount(source, amount_element, part_where)))
    total = sum((p.amount for p in parts), Decimal(0))
    if total != sign * amount:
        raise StatementError.at(
            source,
            where,
            f"the entry's {len(parts)} transactions add up to {total}, but the entry is {sign * amount}",
        )
    return parts


@dataclass(frozen=True, slots=True)
class _Details:
    narration: tuple[str | None, ...] = ()
    payer_name: str | None = None
    payer_account: str | None = None
    payee_name: str | None = None
    payee_account: str | None = None
    creditor_reference: str | None = None
    end_to_end_id: str | None = None
    bank_reference: str | None = None
    transaction_code: str | None = None


def _details(part: Element) -> _Details:
    end_to_end = _text(part, "Refs/EndToEndId")
    if end_to_end is not None and end_to_end.upper() == _NOT_PROVIDED:
        end_to_end = None
    unstructured = [(u.text or "").strip() for u in part.findall("RmtInf/Ustrd")]
    documents = [(n.text or "").strip() for n in part.findall("RmtInf/Strd/RfrdDocInf/Nb")]
    additional = [(a.text or "").strip() for a in part.findall("RmtInf/Strd/AddtlRmtInf")]
    return _Details(
        narration=(
            " ".join(u for u in unstructured if u) or None,
            *documents,
            *additional,
            _text(part, "AddtlTxInf"),
        ),
        payer_name=_party_name(part, "Dbtr") or _party_name(part, "UltmtDbtr"),
        payer_account=_account(part, "RltdPties/DbtrAcct"),
        payee_name=_party_name(part, "Cdtr") or _party_name(part, "UltmtCdtr"),
        payee_account=_account(part, "RltdPties/CdtrAcct"),
        creditor_reference=_text(part, "RmtInf/Strd/CdtrRefInf/Ref"),
        end_to_end_id=end_to_end,
        bank_reference=_text(part, "Refs/AcctSvcrRef"),
        transaction_code=_bank_transaction_code(part),
    )


def _party_name(part: Element, role: str) -> str | None:
    # Up to version 07 the name sits in Dbtr/Nm; from 08 on in Dbtr/Pty/Nm.
    return _first_text(part, f"RltdPties/{role}/Nm", f"RltdPties/{role}/Pty/Nm")


def _account(part: Element, path: str) -> str | None:
    return _first_text(part, f"{path}/Id/IBAN", f"{path}/Id/Othr/Id")


def _bank_transaction_code(element: Element) -> str | None:
    domain = _text(element, "BkTxCd/Domn/Cd")
    family = _text(element, "BkTxCd/Domn/Fmly/Cd")
    sub_family = _text(element, "BkTxCd/Domn/Fmly/SubFmlyCd")
    if domain and family and sub_family:
        return f"{domain}-{family}-{sub_family}"
    return _text(element, "BkTxCd/Prtry/Cd")


def _status(entry: Element) -> str | None:
    # Versions up to 07: <Sts>BOOK</Sts>; from 08 on: <Sts><Cd>BOOK</Cd></Sts>.
    status = entry.find("Sts")
    if status is None:
        return None
    return _first_text(status, "Cd", "Prtry") or (status.text or "").strip() or None


def _amount(source: str, element: Element | None, where: str) -> Decimal:
    if element is None:
        raise StatementError.at(source, where, "Amt: missing amount")
    text = (element.text or "").strip()
    if not _AMOUNT.match(text):
        raise StatementError.at(source, _line(element), f"Amt: {text!r} is not an amount")
    return Decimal(text)


def _currency_of(source: str, element: Element | None) -> str:
    currency = element.get("Ccy") if element is not None else None
    if not currency:
        where = _line(element) if element is not None else None
        raise StatementError.at(source, where, "Amt: the amount has no Ccy (currency) attribute")
    return str(currency).strip()


def _sign(source: str, element: Element, where: str) -> int:
    indicator = _text(element, "CdtDbtInd")
    if indicator == "CRDT":
        return 1
    if indicator == "DBIT":
        return -1
    raise StatementError.at(source, where, f"CdtDbtInd: {indicator or 'missing'!s}; expected CRDT or DBIT")


def _optional_date(source: str, element: Element, path: str) -> date | None:
    text = _text(element, path)
    if text is None:
        return None
    try:
        # A date-time's first ten characters are its date as the bank wrote it (its own zone).
        return date.fromisoformat(text[:10])
    except ValueError:
        found = element.find(path)
        raise StatementError.at(source, _line(found), f"{path}: {text!r} is not a date") from None


def _unique(pieces: list[str | None]) -> list[str]:
    seen: list[str] = []
    for piece in pieces:
        if piece and piece not in seen:
            seen.append(piece)
    return seen
