"""Exact money: a `Decimal` amount in an ISO 4217 currency.

Rules:
- amounts are `Decimal` (or `int`); a `float` is refused because it cannot hold 0.10 exactly;
- each currency has its own minor units, read from the CLDR data Babel ships
  (JPY 0, GBP 2, BHD 3);
- amounts in different currencies never mix: adding GBP to EUR is an error, not a conversion;
- rounding to minor units is half-up (0.005 GBP -> 0.01 GBP), the convention of invoices;
- the store keeps integer minor units (`to_minor_units` / `from_minor_units`);
- `split` and `allocate` divide an amount into parts that add up exactly.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import (
    ROUND_DOWN,
    ROUND_HALF_UP,
    Context,
    Decimal,
    DivisionByZero,
    Inexact,
    InvalidOperation,
    Overflow,
)
from functools import lru_cache, reduce

from babel.numbers import format_currency, get_currency_precision, list_currencies

from arrears.core.errors import CurrencyMismatchError, InvalidAmountError, UnknownCurrencyError

Numeric = Decimal | int

# Money does its arithmetic in its own contexts, not the thread's default one: the default
# keeps 28 significant digits and rounds past them without a word, so a large amount plus a
# small one would quietly lose the small one. `_EXACT` has room for any realistic amount and
# raises instead of rounding; `_ROUNDING` is for the places that round on purpose (rounding to
# minor units, dividing into parts).
_PRECISION = 100
_EXACT = Context(prec=_PRECISION, traps=[InvalidOperation, DivisionByZero, Overflow, Inexact])
_ROUNDING = Context(prec=_PRECISION, traps=[InvalidOperation, DivisionByZero, Overflow])


def _too_large(what: str) -> InvalidAmountError:
    return InvalidAmountError(
        f"{what} needs more than {_PRECISION} significant digits; money cannot hold it exactly"
    )


@lru_cache(maxsize=512)
def _known_currencies() -> frozenset[str]:
    return frozenset(list_currencies())


@lru_cache(maxsize=512)
def minor_units(currency: str) -> int:
    """Number of decimal places of the currency's minor unit (GBP 2, JPY 0, BHD 3)."""
    return int(get_currency_precision(check_currency(currency)))


def check_currency(code: str) -> str:
    """Return `code` if it is an ISO 4217 currency code, else raise `UnknownCurrencyError`."""
    if not isinstance(code, str) or code not in _known_currencies():
        raise UnknownCurrencyError(
            f"unknown currency {code!r}: use a three-letter ISO 4217 code such as GBP, EUR or USD"
        )
    return code


@lru_cache(maxsize=512)
def _quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-minor_units(currency))


def _as_decimal(value: object) -> Decimal:
    if isinstance(value, bool | float):
        raise InvalidAmountError(f"{value!r} is a {type(value).__name__}; money takes Decimal or int only")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise InvalidAmountError(f"{value!r} is not a finite amount")
        return value
    if isinstance(value, str):
        try:
            parsed = Decimal(value.strip())
        except InvalidOperation:
            raise InvalidAmountError(f"{value!r} is not an amount") from None
        if not parsed.is_finite():
            raise InvalidAmountError(f"{value!r} is not a finite amount")
        return parsed
    raise InvalidAmountError(f"{value!r} is not an amount")


def _round_half_up(amount: Decimal, currency: str) -> Decimal:
    try:
        result = amount.quantize(_quantum(currency), rounding=ROUND_HALF_UP, context=_ROUNDING)
    except InvalidOperation:
        raise _too_large(f"{amount} {currency} rounded to minor units") from None
    return result.copy_abs() if result.is_zero() else result


def _exactly(operation: Callable[[Decimal, Decimal], Decimal], a: Decimal, b: Decimal) -> Decimal:
    try:
        return operation(a, b)
    except (Inexact, InvalidOperation):
        raise _too_large(f"{operation.__name__} of {a} and {b}") from None


@dataclass(frozen=True, slots=True, order=False)
class Money:
    """An exact amount of one currency.

    The amount may carry more places than the currency's minor units while it is being
    computed (interest accrues in fractions of a penny); `rounded()` brings it to minor units.

    >>> Money.of("10.00", "GBP") + Money.of("0.05", "GBP")
    Money(amount=Decimal('10.05'), currency='GBP')
    """

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "amount", _as_decimal(self.amount))
        check_currency(self.currency)

    @classmethod
    def of(cls, amount: Numeric | str, currency: str) -> "Money":
        """Money from a Decimal, an int or a decimal string ("1234.50")."""
        return cls(_as_decimal(amount), currency)

    @classmethod
    def zero(cls, currency: str) -> "Money":
        return cls(Decimal(0), currency)

    @classmethod
    def from_minor_units(cls, minor: int, currency: str) -> "Money":
        """Money from integer minor units as the store keeps them (1234 GBP pence -> 12.34)."""
        if isinstance(minor, bool) or not isinstance(minor, int):
            raise InvalidAmountError(f"minor units must be an int, not {type(minor).__name__}")
        try:
            amount = Decimal(minor).scaleb(-minor_units(currency), context=_EXACT)
        except (Inexact, InvalidOperation):
            raise _too_large(f"{minor} minor units of {currency}") from None
        return cls(amount, currency)

    @classmethod
    def total(cls, amounts: Iterable["Money"], currency: str) -> "Money":
        """Sum of amounts, all in `currency`; the sum of nothing is zero in that currency."""
        result = cls.zero(currency)
        for amount in amounts:
            result = result + amount
        return result

    # --- conversion -------------------------------------------------------------------

    def to_minor_units(self) -> int:
        """Integer minor units; refuses an amount finer than the currency's minor unit.

        Call `rounded()` first when a computed amount may carry fractions of a minor unit.
        """
        try:
            scaled = self.amount.scaleb(minor_units(self.currency), context=_EXACT)
        except (Inexact, InvalidOperation):
            raise _too_large(f"{self.amount} {self.currency} in minor units") from None
        if scaled != scaled.to_integral_value():
            raise InvalidAmountError(
                f"{self.amount} {self.currency} has more than {minor_units(self.currency)} decimal places; "
                "round it before storing"
            )
        return int(scaled)

    def rounded(self) -> "Money":
        """Rounded half-up to the currency's minor units.

        Half-up means half away from zero (Python's `ROUND_HALF_UP`), so rounding is symmetric:
        -0.005 GBP rounds to -0.01 GBP, as a credit note mirrors the invoice it cancels. A
        negative amount that rounds to nothing is plain zero, never "-£0.00".
        """
        return Money(_round_half_up(self.amount, self.currency), self.currency)

    def is_whole_minor_units(self) -> bool:
        return self.amount == _round_half_up(self.amount, self.currency)

    # --- arithmetic -------------------------------------------------------------------

    def _same_currency(self, other: object, operation: str) -> "Money":
        if not isinstance(other, Money):
            raise TypeError(f"cannot {operation} Money and {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatchError(
                f"cannot {operation} {self.currency} and {other.currency}: amounts in different currencies "
                "are kept apart"
            )
        return other

    def __add__(self, other: "Money") -> "Money":
        other = self._same_currency(other, "add")
        return Money(_exactly(_EXACT.add, self.amount, other.amount), self.currency)

    def __sub__(self, other: "Money") -> "Money":
        other = self._same_currency(other, "subtract")
        return Money(_exactly(_EXACT.subtract, self.amount, other.amount), self.currency)

    def __neg__(self) -> "Money":
        return Money(self.amount.copy_negate(), self.currency)

    def __abs__(self) -> "Money":
        return Money(self.amount.copy_abs(), self.currency)

    def __mul__(self, factor: Numeric) -> "Money":
        if isinstance(factor, Money):
            raise TypeError("cannot multiply money by money")
        return Money(_exactly(_EXACT.multiply, self.amount, _as_decimal(factor)), self.currency)

    __rmul__ = __mul__

    def __bool__(self) -> bool:
        return self.amount != 0

    def _compare(self, other: object) -> tuple[Decimal, Decimal]:
        checked = self._same_currency(other, "compare")
        return self.amount, checked.amount

    def __lt__(self, other: "Money") -> bool:
        a, b = self._compare(other)
        return a < b

    def __le__(self, other: "Money") -> bool:
        a, b = self._compare(other)
        return a <= b

    def __gt__(self, other: "Money") -> bool:
        a, b = self._compare(other)
        return a > b

    def __ge__(self, other: "Money") -> bool:
        a, b = self._compare(other)
        return a >= b

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        return self.currency == other.currency and self.amount == other.amount

    def __hash__(self) -> int:
        return hash((self.amount, self.currency))

    @property
    def is_zero(self) -> bool:
        return self.amount == 0

    @property
    def is_positive(self) -> bool:
        return self.amount > 0

    @property
    def is_negative(self) -> bool:
        return self.amount < 0

    def min(self, other: "Money") -> "Money":
        return self if self <= other else other

    # --- division into parts ------------------------------------------------------------

    def split(self, parts: int) -> tuple["Money", ...]:
        """Equal parts in minor units that add up exactly; the rounding remainder goes on the last.

        This is how an instalment plan divides a debt: 100.00 GBP in 3 is 33.33, 33.33, 33.34.
        Every part but the last is the amount divided by `parts` and rounded toward zero; the
        last takes what is left, so it exceeds the others by fewer than `parts` minor units
        (100.00 GBP in 7 is six of 14.28 and a last of 14.32).
        """
        if isinstance(parts, bool) or not isinstance(parts, int) or parts < 1:
            raise InvalidAmountError(f"cannot split into {parts!r} parts; give a whole number of at least 1")
        whole = self.rounded()
        quantum = _quantum(self.currency)
        share = _ROUNDING.divide(whole.amount, Decimal(parts)).quantize(
            quantum, rounding=ROUND_DOWN, context=_ROUNDING
        )
        shares = [Money(share, self.currency) for _ in range(parts - 1)]
        last = _exactly(_EXACT.subtract, whole.amount, _exactly(_EXACT.multiply, share, Decimal(parts - 1)))
        shares.append(Money(last, self.currency))
        return tuple(shares)

    def allocate(self, weights: Sequence[Numeric]) -> tuple["Money", ...]:
        """Parts in proportion to `weights`, in minor units, adding up exactly.

        Largest-remainder method: every part is first rounded down, then the minor units left
        over go one each to the parts that lost most to rounding (ties: earlier parts first).
        """
        if not weights:
            raise InvalidAmountError("cannot allocate over no weights")
        decimal_weights = [_as_decimal(w) for w in weights]
        if any(w < 0 for w in decimal_weights):
            raise InvalidAmountError("allocation weights must not be negative")
        total_weight = reduce(_ROUNDING.add, decimal_weights, Decimal(0))
        if total_weight == 0:
            raise InvalidAmountError("allocation weights must not all be zero")
        total_minor = self.rounded().to_minor_units()
        sign = -1 if total_minor < 0 else 1
        magnitude = abs(total_minor)
        exact = [
            _ROUNDING.divide(_ROUNDING.multiply(Decimal(magnitude), w), total_weight) for w in decimal_weights
        ]
        floors = [int(e.to_integral_value(rounding=ROUND_DOWN)) for e in exact]
        left_over = magnitude - sum(floors)
        by_remainder = sorted(range(len(exact)), key=lambda i: (-(exact[i] - floors[i]), i))
        for index in by_remainder[:left_over]:
            floors[index] += 1
        return tuple(Money.from_minor_units(sign * f, self.currency) for f in floors)

    # --- display ------------------------------------------------------------------------

    def format(self, locale: str = "en_GB") -> str:
        """The amount as a person in `locale` reads it: '£1,234.50' (en_GB), '1.234,50 €' (de_DE)."""
        return str(format_currency(self.rounded().amount, self.currency, locale=locale))

    def __str__(self) -> str:
        return f"{self.rounded().amount:,} {self.currency}"
