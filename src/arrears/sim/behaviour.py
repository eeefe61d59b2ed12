"""How simulated debtors pay: behaviour types, their shares and their days-late distributions.

Every debtor gets one behaviour type. A type says what share of debtors have it and how its
invoices are settled: the share paid on or before the due date, how late the others are
(log-normal), and how often an invoice is part-paid, disputed or never paid at all.

Days late are counted from the due date: -5 means paid five days early, 0 on the due date,
12 twelve days after it. A late payment is `1 + floor(x)` days late with `x` log-normal, so a
profile's median and sigma describe the delay of its late payments only.

Calibration
-----------
The mix below was tuned so that the simulated ledger as a whole lands inside the ranges that
published payment-practice surveys report. Each figure, where it was read, and what it is used
for (figures checked against the publisher's page or the news report named; none invented):

1. **Share of invoices paid after the due date: about half.**
   Xero Small Business Insights, "Getting paid" (xero.com/uk/resources/small-business-insights/
   getting-paid/): 52% of UK invoices on 30-day terms were paid late in 2017 (7.5 million
   invoices). Atradius Payment Practices Barometer, United Kingdom 2023 (atradius.com):
   late payments were 50% of the value of B2B invoiced sales. Atradius Barometer, Western
   Europe 2018, as reported by Credit Connect ("Almost half of all UK invoices are overdue"):
   48.7% of British B2B invoices overdue. Used for: the on-time shares of the types.
2. **How late a late payment is: about a month.**
   The same Atradius 2018 report: British businesses were paid on average 34 days late.
   Xero Small Business Insights for an August, as reported by Credit Connect and the IAB
   ("Average of £25k in late payments owed to small businesses"): the average 30-day invoice
   was paid 39.67 days after issue, and the average late one 64 days after issue (34 days
   late). Used for: the late medians and sigmas, so that the mean delay of late payments
   comes out near 30 days.
3. **Average delay over all invoices: about a week or so.**
   Xero media release "Small businesses suffer longest late payments times since pandemic"
   (25 July 2024): UK small businesses were paid 7.3 days late on average in April-June 2024
   and waited 29.1 days to be paid. The August figure above (39.67 days on 30-day terms)
   is 9.7 days after the due date on average. Used for: a check on the mean days late over
   all paid invoices, early payments counted as negative days (target band 7-10 days).
4. **Long tail: about one invoice in nine paid more than 60 days after issue.**
   EY's analysis of the UK Payment Practices Reporting data, as reported by Good Business
   Pays ("UK Payment Practices Are Improving", April 2025): 11.6% of invoices paid after 60
   days in December 2024 (14.0% in June 2021); average time to pay 34 days. These are large
   companies paying suppliers, so a check rather than a target.
5. **Never paid: a few per cent of sales.**
   Atradius Barometer UK 2023: bad debts were 9% of B2B sales (a bad year); Atradius
   Barometer Western Europe 2018 ("Western Europe: an increase in past due B2B invoices"):
   1.3% of B2B receivables uncollectable. Used for: the non-payer share
   and the never-paid rates, aiming at 3-6% of invoiced value never paid.
6. **Payment terms: 30 days is the norm.**
   Hansard written answer, 14 December 2011 (Mark Prisk, BIS): the typical UK term is 30
   days; Experian data for Q3 2011 had SMEs paid 16.45 days beyond terms. Tide/YouGov
   survey of 573 small businesses, as reported by Credit Connect ("One in six invoices are
   paid late"): an average term of 15 days, 30% on 30 days. Used for: term weights 14/30/60
   days of 25/65/10% (the exact weights are an assumption; 30 days dominant is sourced).

**Assumptions** (no published figure found to calibrate them; chosen to look plausible to a
credit controller, change them freely): the shares of the behaviour types, the dispute,
part-payment and credit-note rates, the month-end payment run, the invoice-size distribution
(see `arrears.sim.engine`), and that a debtor's type does not change over the year.

Measured with the default mix (3 creditors, 3,000 debtors, 100,000 invoices over 730 days of
history, seeds 7, 11 and 23, invoices due more than a year before `as_of` so that slow payers
have had time to pay; the survey figure in brackets):
- paid after the due date: 50-54% of paid invoices [48.7-52%, figure 1];
- mean delay of the late ones: 29-30 days [34 days, figure 2];
- mean days late over all paid invoices, early ones negative: 10-12 days [7.3-9.7, figure 3];
- paid more than 60 days after issue: 19-21% [11.6-14%, figure 4]; above the survey because
  those are large companies paying suppliers, and because 60-day accounts (10% of ordinary
  accounts, 45% of key accounts) pay after day 60 by construction;
- still unpaid a year after the due date: 3.6-3.8% of invoiced value [1.3-9%, figure 5].
"""

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum


class BehaviourType(StrEnum):
    """How a debtor pays, as a credit controller would label the account."""

    PROMPT = "prompt"  # pays on or before the due date, nearly always
    MONTH_END = "month_end"  # pays in a month-end payment run, whatever the due date
    SLOW = "slow"  # usually a week or two late
    CHRONIC_LATE = "chronic_late"  # routinely a month or two late, often in parts
    DISPUTER = "disputer"  # queries many invoices; settles after credit notes or delay
    NON_PAYER = "non_payer"  # pays little, very late, or not at all


@dataclass(frozen=True, slots=True)
class BehaviourProfile:
    """One behaviour type's payment habits.

    Shares are probabilities per invoice except `share`, which is per debtor. The outcomes of
    an invoice are drawn in this order: never paid, disputed, part-paid in two instalments,
    else paid in full; each payment date comes from `sample_days_late`.
    """

    behaviour: BehaviourType
    share: float  # share of debtors with this behaviour
    on_time_share: float  # share of payments made on or before the due date
    early_days_max: int  # an on-time payment comes 0..early_days_max days before due (uniform)
    late_median_days: float  # median delay of a late payment (log-normal)
    late_sigma: float  # log-normal sigma of the delay of a late payment
    part_payment_share: float  # share of invoices paid in two instalments
    dispute_share: float  # share of invoices disputed
    never_pays_share: float  # share of invoices never paid
    month_end_run: bool = False  # payments are gathered into the last weekday of a month

    def expected_late_days(self) -> float:
        """Mean delay of a late payment: E[1 + floor(x)] for log-normal x, to within 0.1 day."""
        return 0.5 + self.late_median_days * math.exp(self.late_sigma**2 / 2)

    def expected_days_late(self, terms_days: int) -> float:
        """Mean days late (signed, early payments negative) of `sample_days_late`, before any
        payment-run date is applied."""
        early_max = min(self.early_days_max, terms_days)
        on_time_mean = -early_max / 2
        return self.on_time_share * on_time_mean + (1 - self.on_time_share) * self.expected_late_days()


PROFILES: Mapping[BehaviourType, BehaviourProfile] = {
    profile.behaviour: profile
    for profile in (
        BehaviourProfile(
            BehaviourType.PROMPT,
            share=0.42,
            on_time_share=0.88,
            early_days_max=25,
            late_median_days=4,
            late_sigma=0.8,
            part_payment_share=0.01,
            dispute_share=0.01,
            never_pays_share=0.002,
        ),
        BehaviourProfile(
            BehaviourType.MONTH_END,
            share=0.10,
            on_time_share=0.60,
            early_days_max=5,
            late_median_days=6,
            late_sigma=0.8,
            part_payment_share=0.02,
            dispute_share=0.02,
            never_pays_share=0.005,
            month_end_run=True,
        ),
        BehaviourProfile(
            BehaviourType.SLOW,
            share=0.26,
            on_time_share=0.35,
            early_days_max=10,
            late_median_days=12,
            late_sigma=0.7,
            part_payment_share=0.05,
            dispute_share=0.02,
            never_pays_share=0.005,
        ),
        BehaviourProfile(
            BehaviourType.CHRONIC_LATE,
            share=0.10,
            on_time_share=0.05,
            early_days_max=3,
            late_median_days=42,
            late_sigma=0.55,
            part_payment_share=0.20,
            dispute_share=0.03,
            never_pays_share=0.03,
        ),
        BehaviourProfile(
            BehaviourType.DISPUTER,
            share=0.07,
            on_time_share=0.30,
            early_days_max=7,
            late_median_days=20,
            late_sigma=0.8,
            part_payment_share=0.05,
            dispute_share=0.30,
            never_pays_share=0.01,
        ),
        BehaviourProfile(
            BehaviourType.NON_PAYER,
            share=0.05,
            on_time_share=0.02,
            early_days_max=0,
            late_median_days=75,
            late_sigma=0.6,
            part_payment_share=0.20,
            dispute_share=0.05,
            never_pays_share=0.55,
        ),
    )
}
"""The default behaviour mix; the debtor shares add up to 1."""


def default_shares() -> dict[BehaviourType, float]:
    """Share of debtors of each behaviour type in the default mix."""
    return {behaviour: profile.share for behaviour, profile in PROFILES.items()}


def sample_days_late(rng: random.Random, profile: BehaviourProfile, terms_days: int) -> int:
    """Days after the due date that a payment arrives (negative: before it).

    On time with probability `on_time_share`: uniformly 0..min(early_days_max, terms_days) days
    early, so a payment never precedes the invoice. Otherwise `1 + floor(x)` days late with x
    log-normal of median `late_median_days` and sigma `late_sigma`.
    """
    if rng.random() < profile.on_time_share:
        return -rng.randint(0, min(profile.early_days_max, terms_days))
    return 1 + int(profile.late_median_days * math.exp(profile.late_sigma * rng.gauss()))


def pick_behaviour(
    rng: random.Random, cumulative: list[float], behaviours: list[BehaviourType]
) -> BehaviourType:
    """A behaviour type drawn with the weights given as cumulative shares."""
    u = rng.random() * cumulative[-1]
    for behaviour, edge in zip(behaviours, cumulative, strict=True):
        if u < edge:
            return behaviour
    return behaviours[-1]
