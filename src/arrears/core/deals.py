"""Deals and cash: what a controller agrees with a debtor, in one import.

The design names this module; the code lives in one module per glossary word, re-exported here:

| module | holds |
|---|---|
| `deal_rules` | the creditor's pre-agreed rules (`DealRules`, `PlanRules`, `FeeRule`, `DisputeMode`) and `Decision` |
| `promises` | promises to pay: `Promise`, `promise_status`, `confirmation_text` |
| `instalments` | schedules: `instalment_schedule`, `Frequency`, `Instalment` |
| `plans` | payment plans: `propose_plan`, `plan_status`, `instalment_reminder`, `interest_runs_on` |
| `settlements` | full and final settlements: `offer_settlement`, `settlement_status` |
| `disputes` | disputes: `raise_dispute`, `resolve_dispute`, `collectable_amount`, `dispute_summary` |
| `terms` | "2/10 net 30" terms (`parse_terms`, `discount_if_paid_on`) and fees (`charge_fee`) |
| `writeoffs` | `WriteOff`, `write_off`, `apply_write_off`, `decide_write_off` |

Each deal yields the holds the planner reads, and each is judged from the cash that reached its
documents, as of a day passed in. See docs/deals.md.
"""

from arrears.core.deal_rules import (
    APPROVED_BY_RULES,
    DealError,
    DealRules,
    DealRulesError,
    Decision,
    DisputeMode,
    FeeKind,
    FeeRule,
    PlanRules,
    RuleBreach,
    Verdict,
)
from arrears.core.disputes import (
    Dispute,
    DisputeError,
    DisputeOutcome,
    DisputeReason,
    DisputeResolution,
    DisputeSummary,
    Resolver,
    collectable_amount,
    credit_note_for,
    creditor_notice,
    dispute_holds,
    dispute_summary,
    disputed_amount,
    raise_dispute,
    resolve_dispute,
    who_decides,
)
from arrears.core.instalments import Frequency, Instalment, PlanError, instalment_schedule
from arrears.core.plans import (
    InstalmentReminder,
    PaymentPlan,
    PlanProposal,
    PlanState,
    PlanStatus,
    approve_plan,
    decide_plan,
    instalment_reminder,
    interest_runs_on,
    plan_status,
    propose_plan,
)
from arrears.core.promises import (
    Promise,
    PromiseChannel,
    PromiseError,
    PromiseState,
    PromiseStatus,
    confirmation_text,
    promise_status,
    take_promise,
)
from arrears.core.settlements import (
    Settlement,
    SettlementError,
    SettlementProposal,
    SettlementState,
    SettlementStatus,
    approve_settlement,
    decide_settlement,
    offer_settlement,
    settlement_status,
)
from arrears.core.terms import (
    EarlyPaymentOffer,
    Fee,
    FeeError,
    PaymentTerms,
    TermsError,
    charge_fee,
    discount_if_paid_on,
    discount_write_off,
    early_payment_offer,
    fee_invoice,
    parse_terms,
)
from arrears.core.writeoffs import (
    WriteOff,
    WriteOffError,
    WriteOffReason,
    apply_write_off,
    decide_write_off,
    write_off,
)

__all__ = [
    "APPROVED_BY_RULES",
    "DealError",
    "DealRules",
    "DealRulesError",
    "Decision",
    "Dispute",
    "DisputeError",
    "DisputeMode",
    "DisputeOutcome",
    "DisputeReason",
    "DisputeResolution",
    "DisputeSummary",
    "EarlyPaymentOffer",
    "Fee",
    "FeeError",
    "FeeKind",
    "FeeRule",
    "Frequency",
    "Instalment",
    "InstalmentReminder",
    "PaymentPlan",
    "PaymentTerms",
    "PlanError",
    "PlanProposal",
    "PlanRules",
    "PlanState",
    "PlanStatus",
    "Promise",
    "PromiseChannel",
    "PromiseError",
    "PromiseState",
    "PromiseStatus",
    "Resolver",
    "RuleBreach",
    "Settlement",
    "SettlementError",
    "SettlementProposal",
    "SettlementState",
    "SettlementStatus",
    "TermsError",
    "Verdict",
    "WriteOff",
    "WriteOffError",
    "WriteOffReason",
    "apply_write_off",
    "approve_plan",
    "approve_settlement",
    "charge_fee",
    "collectable_amount",
    "confirmation_text",
    "credit_note_for",
    "creditor_notice",
    "decide_plan",
    "decide_settlement",
    "decide_write_off",
    "discount_if_paid_on",
    "discount_write_off",
    "dispute_holds",
    "dispute_summary",
    "disputed_amount",
    "early_payment_offer",
    "fee_invoice",
    "instalment_reminder",
    "instalment_schedule",
    "interest_runs_on",
    "offer_settlement",
    "parse_terms",
    "plan_status",
    "promise_status",
    "propose_plan",
    "raise_dispute",
    "resolve_dispute",
    "settlement_status",
    "take_promise",
    "who_decides",
    "write_off",
]
