"""Statement files in the banks' real formats (camt.053.001.08 XML, SWIFT MT940, OFX 1.02
SGML, bank CSV) written from a few lines, for the tests of overlapping statements.

Each writer takes the account's lines as `Line` values and writes one file, in the layout the
readers are tested against with the real samples in ../shared/data/bank.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

IBAN = "GB33BUKB20201555555555"
MT940_ACCOUNT = "20325312345678"


@dataclass(frozen=True, slots=True)
class Line:
    """A booked line: `amount` signed (credits positive); `bank_id` the bank's own id, if any."""

    day: date
    amount: str
    name: str
    reference: str
    bank_id: str | None = None

    @property
    def value(self) -> Decimal:
        return Decimal(self.amount)


@dataclass(frozen=True, slots=True)
class Period:
    """One statement: its id, first and last day, and lines."""

    statement_id: str
    start: date
    end: date
    lines: Sequence[Line]


def camt053(path: Path, *statements: Period) -> Path:
    """A camt.053.001.08 message with one `Stmt` of `IBAN` per period; a line without
    `bank_id` has no AcctSvcrRef (and an end-to-end id NOTPROVIDED), as many banks send."""
    blocks = []
    for period in statements:
        closing = sum((line.value for line in period.lines), Decimal(0))
        entries = "".join(_camt_entry(line) for line in period.lines)
        blocks.append(
            f"""
    <Stmt>
      <Id>{period.statement_id}</Id>
      <FrToDt><FrDtTm>{period.start.isoformat()}T00:00:00+00:00</FrDtTm><ToDtTm>{period.end.isoformat()}T23:59:59+00:00</ToDtTm></FrToDt>
      <Acct><Id><IBAN>{IBAN}</IBAN></Id><Ccy>GBP</Ccy></Acct>
      {_camt_balance("CLBD", closing, period.end)}{entries}
    </Stmt>"""
        )
    path.write_text(
        f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>{path.stem}</MsgId><CreDtTm>2026-03-05T06:00:00+00:00</CreDtTm></GrpHdr>{"".join(blocks)}
  </BkToCstmrStmt>
</Document>
""",
        encoding="utf-8",
    )
    return path


def mt940(path: Path, pages: Sequence[tuple[str, Sequence[Line]]], opening: str = "0.00") -> Path:
    """An MT940 file of `MT940_ACCOUNT`: one `:20:` block per (statement number/page, lines),
    each page opening where the one before closed; a line without `bank_id` gives NONREF."""
    blocks = []
    balance = Decimal(opening)
    for index, (number, lines) in enumerate(pages):
        last = index == len(pages) - 1
        first_day = lines[0].day if lines else date(2026, 3, 1)
        closing = balance + sum((line.value for line in lines), Decimal(0))
        last_day = lines[-1].day if lines else first_day
        body = "".join(_mt940_line(line) for line in lines)
        blocks.append(
            f":20:STMT{number.replace('/', '')}\r\n:25:{MT940_ACCOUNT}\r\n:28C:{number}\r\n"
            f":60{'F' if index == 0 else 'M'}:{_mt940_balance(balance, first_day)}\r\n{body}"
            f":62{'F' if last else 'M'}:{_mt940_balance(closing, last_day)}\r\n-\r\n"
        )
        balance = closing
    path.write_bytes("".join(blocks).encode("ascii"))
    return path


def ofx(path: Path, *statements: Period) -> Path:
    """An OFX 1.02 download with one `STMTRS` of account 203253 12345678 per period; every line
    needs its FITID (`bank_id`), as the standard requires."""
    responses = []
    for number, period in enumerate(statements, start=1):
        balance = sum((line.value for line in period.lines), Decimal(0))
        transactions = "".join(
            f"<STMTTRN><TRNTYPE>{'CREDIT' if line.value > 0 else 'DEBIT'}<DTPOSTED>{line.day:%Y%m%d}"
            f"<TRNAMT>{line.amount}<FITID>{line.bank_id}<NAME>{line.name}<MEMO>{line.reference}</STMTTRN>\n"
            for line in period.lines
        )
        responses.append(
            f"<STMTTRNRS><TRNUID>{number}<STATUS><CODE>0<SEVERITY>INFO</STATUS>\n<STMTRS><CURDEF>GBP\n"
            "<BANKACCTFROM><BANKID>203253<ACCTID>12345678<ACCTTYPE>CHECKING</BANKACCTFROM>\n"
            f"<BANKTRANLIST><DTSTART>{period.start:%Y%m%d}<DTEND>{period.end:%Y%m%d}\n{transactions}"
            f"</BANKTRANLIST><LEDGERBAL><BALAMT>{balance}<DTASOF>{period.end:%Y%m%d}</LEDGERBAL>"
            "</STMTRS></STMTTRNRS>\n"
        )
    path.write_text(
        "OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\nSECURITY:NONE\nENCODING:USASCII\nCHARSET:1252\n"
        "COMPRESSION:NONE\nOLDFILEUID:NONE\nNEWFILEUID:NONE\n\n<OFX>\n"
        "<SIGNONMSGSRSV1><SONRS><STATUS><CODE>0<SEVERITY>INFO</STATUS>"
        "<DTSERVER>20260305060000<LANGUAGE>ENG</SONRS></SIGNONMSGSRSV1>\n"
        f"<BANKMSGSRSV1>{''.join(responses)}</BANKMSGSRSV1>\n</OFX>\n",
        encoding="ascii",
    )
    return path


def bank_csv(path: Path, lines: Sequence[Line], *, with_ids: bool = False) -> Path:
    """A bank CSV in the generic layout (ISO dates, signed amounts), with a Transaction ID
    column when `with_ids`."""
    header = "Date,Amount,Currency,Description,Reference,Counterparty,Account"
    rows = [header + (",Transaction ID" if with_ids else "")]
    for line in lines:
        row = f"{line.day.isoformat()},{line.amount},GBP,{line.name} {line.reference},{line.reference},{line.name},{IBAN}"
        rows.append(row + (f",{line.bank_id}" if with_ids else ""))
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def _camt_balance(code: str, amount: Decimal, day: date) -> str:
    sign = "CRDT" if amount >= 0 else "DBIT"
    return (
        f'<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp><Amt Ccy="GBP">{abs(amount):.2f}</Amt>'
        f"<CdtDbtInd>{sign}</CdtDbtInd><Dt><Dt>{day.isoformat()}</Dt></Dt></Bal>"
    )


def _camt_entry(line: Line) -> str:
    credit = line.value > 0
    role, account_role = ("Dbtr", "DbtrAcct") if credit else ("Cdtr", "CdtrAcct")
    reference = f"<AcctSvcrRef>{line.bank_id}</AcctSvcrRef>" if line.bank_id else ""
    return f"""
      <Ntry>
        <Amt Ccy="GBP">{abs(line.value):.2f}</Amt>
        <CdtDbtInd>{"CRDT" if credit else "DBIT"}</CdtDbtInd>
        <Sts><Cd>BOOK</Cd></Sts>
        <BookgDt><Dt>{line.day.isoformat()}</Dt></BookgDt>
        <ValDt><Dt>{line.day.isoformat()}</Dt></ValDt>{reference}
        <NtryDtls><TxDtls>
          <Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs>
          <RltdPties><{role}><Pty><Nm>{line.name}</Nm></Pty></{role}><{account_role}><Id><Othr><Id>40051512345678</Id></Othr></Id></{account_role}></RltdPties>
          <RmtInf><Ustrd>{line.reference}</Ustrd></RmtInf>
        </TxDtls></NtryDtls>
      </Ntry>"""


def _mt940_balance(amount: Decimal, day: date) -> str:
    mark = "C" if amount >= 0 else "D"
    return f"{mark}{day:%y%m%d}GBP{abs(amount):.2f}".replace(".", ",")


def _mt940_line(line: Line) -> str:
    mark = "C" if line.value > 0 else "D"
    amount = f"{abs(line.value):.2f}".replace(".", ",")
    bank = line.bank_id or ""
    reference = f"NONREF//{bank}" if bank else "NONREF"
    return (
        f":61:{line.day:%y%m%d}{line.day:%m%d}{mark}{amount}NTRF{reference}\r\n"
        f":86:/NAME/{line.name}/REMI/USTD//{line.reference}\r\n"
    )
