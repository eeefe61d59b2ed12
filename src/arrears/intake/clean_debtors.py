"""The debtors of a clean CSV ledger, worked out a column at a time (`arrears.intake.clean_csv`).

The row reader (`arrears.intake.validation._Reader._define_debtor`) builds each debtor from its
rows as they come: the first row saying anything of it makes it, the first non-empty value of
each detail wins (a country only if it is two letters, a currency only if it is one, payment
terms only if they give a number of days, a credit limit in the currency the debtor has by
then), and a second name, a detail too long or a credit limit it cannot read is an error.
`source_debtors()` gives the same `SourceDebtor`s, in the same order, from a group-by over
all rows; where the row reader would report something it raises `NotClean`.
"""

import polars as pl

from arrears.intake.clean_columns import NotClean, mapping
from arrears.intake.profiles import HeaderMatch
from arrears.intake.validation import (
    EMAIL_LENGTH,
    NAME_LENGTH,
    PHONE_LENGTH,
    POSTCODE_LENGTH,
    SourceDebtor,
    currency_exponent,
)
from arrears.intake.values import AmountReader, terms_days

ADDRESS = ("address_1", "address_2", "address_3", "address_4", "address_5")
DETAILS = ("contact_name", "email", "phone", *ADDRESS, "postcode", "country", "terms_days", "credit_limit")
"""What a row may say of its debtor besides its name (and its currency, the document's)."""
_LIMITED = (("contact_name", NAME_LENGTH), ("email", EMAIL_LENGTH), ("phone", PHONE_LENGTH))
_SIMPLE = ("contact_name", "email", "phone", "postcode", "country", "currency_text", "terms_days")


def source_debtors(
    data: pl.DataFrame, header: HeaderMatch, default_currency: str, decimal: str
) -> dict[str, SourceDebtor]:
    """What the rows say of each debtor: the first non-empty value of each detail wins, as the
    row reader's `_define_debtor` has it; a detail it would refuse makes the file not clean."""
    columns = header.columns
    present = [name for name in DETAILS if name in columns]
    name = pl.col("debtor_name")
    says = [name != "", *(pl.col(detail) != "" for detail in present)]
    if "currency" in columns:
        says.append(pl.col("currency_given"))
        present.append("currency_text")
    if data.select((name.str.len_chars() > NAME_LENGTH).any()).item():
        raise NotClean
    data = data.with_columns(pl.any_horizontal(says).alias("says"))
    if "country" in present:
        countries = mapping(data["country"], lambda c: c.upper() if len(c) == 2 and c.isalpha() else "")
        data = data.with_columns(pl.col("country").replace_strict(countries, return_dtype=pl.String))
    if "terms_days" in present:
        terms = mapping(data["terms_days"], lambda t: terms_days(t) if t else None)
        data = data.with_columns(pl.col("terms_days").replace_strict(terms, return_dtype=pl.Int64))
    addressed = pl.any_horizontal([pl.col(a) != "" for a in ADDRESS if a in present] or [pl.lit(False)])
    aggregations = [
        pl.col("row").filter(pl.col("says")).first().alias("first_row"),
        name.filter(name != "").first().alias("name"),
        pl.col("row").filter(name != "").first().alias("name_row"),
        name.filter(name != "").n_unique().alias("names"),
    ]
    for detail in present:
        column = pl.col(detail)
        if detail == "terms_days":
            aggregations.append(column.drop_nulls().first())
        elif detail in ADDRESS:
            aggregations.append(column.filter(addressed).first())
        else:
            aggregations.append(column.filter(column != "").first())
            if detail in ("currency_text", "credit_limit"):  # a limit is read in the currency
                aggregations.append(pl.col("row").filter(column != "").first().alias(f"{detail}_row"))
    grouped = (
        data.group_by("code").agg(aggregations).filter(pl.col("first_row").is_not_null()).sort("first_row")
    )
    if grouped.select((pl.col("names") > 1).any()).item():
        raise NotClean  # a debtor given two names
    for detail, limit in (*_LIMITED, ("postcode", POSTCODE_LENGTH)):
        if detail in present and grouped.select((pl.col(detail).str.len_chars() > limit).any()).item():
            raise NotClean
    debtors: dict[str, SourceDebtor] = {}
    columns_of = {name: grouped[name].to_list() for name in grouped.columns}
    nothing = [None] * grouped.height
    addresses = list(zip(*(columns_of.get(a, nothing) for a in ADDRESS), strict=True))
    details = zip(
        columns_of["code"],
        columns_of["first_row"],
        columns_of["name"],
        columns_of["name_row"],
        *(columns_of.get(name, nothing) for name in _SIMPLE),
        addresses,
        range(grouped.height),
        strict=True,
    )
    for (
        code,
        row,
        name,
        name_row,
        contact,
        email,
        phone,
        postcode,
        country,
        currency,
        terms,
        address,
        at,
    ) in details:
        debtor = SourceDebtor(code, row, name, name_row, contact, email, phone, (), postcode, country, terms)
        debtor.currency = currency
        debtor.address = tuple(line for line in address if line)
        if "credit_limit" in columns_of and columns_of["credit_limit"][at] is not None:
            debtor.credit_limit_minor = _credit_limit(
                columns_of["credit_limit"][at],
                columns_of["credit_limit_row"][at],
                columns_of.get("currency_text", nothing)[at],
                columns_of.get("currency_text_row", nothing)[at],
                default_currency,
                decimal,
            )
        debtors[code] = debtor
    return debtors


def _credit_limit(
    text: str, row: int, currency: str | None, currency_row: int | None, default_currency: str, decimal: str
) -> int:
    """The debtor's credit limit, in the currency the debtor has by the row that gives it."""
    known = currency if currency_row is not None and currency_row <= row else None
    exponent = currency_exponent(known or default_currency) or 0
    try:
        minor = AmountReader(decimal)(text, exponent)
    except ValueError:
        raise NotClean from None
    if minor < 0:
        raise NotClean
    return minor
