"""Channels: how a stored message reaches the debtor.

| module | channel | delivers to |
|---|---|---|
| `email` | email | an SMTP server (STARTTLS, SSL or plain; with or without auth) |
| `maildir` | email | a Maildir in the workspace: the default when no SMTP server is configured |
| `sms` | SMS | an HTTP gateway with Twilio's Messages API shape; delivery receipts; opt-outs; finding an SMS after an interrupted hand-over |
| `letter` | letter | PDFs on the letterhead in a print folder, and one print batch per day |
| `call` | call | a call task in the worklist (keyed by its message); call outcomes and inbound calls are logged |

A channel either returns a `Delivered` (with the provider's reference, if any) or raises a
`DeliveryError` that says whether trying again could help (`permanent`), or whether the
provider may have taken the message anyway (`uncertain`).

Email, letters and call tasks are idempotent: the same message delivered twice is one message
(the same Message-ID and bytes, the same letter file, one task per message). SMS is not: an
SMS gateway has no idempotency key, so the dispatcher records a hand-over before calling the
gateway and, after an interruption, asks the gateway (`SmsGateway.find_sent`) rather than
sending again.
"""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Delivered:
    """A message handed over: `provider_ref` is the gateway's id (an SMS sid), a file path
    (maildir, letter) or None; `detail` says where it went."""

    provider_ref: str | None = None
    detail: str = ""


class DeliveryError(Exception):
    """A delivery that did not happen. `permanent`: retrying the same message cannot succeed
    (a recipient refused, a number opted out); otherwise it may (a server down, a 4xx reply).
    `bounce`: the recipient's system refused the message (recorded on the debtor's timeline).
    `uncertain`: the request reached the provider but no answer came back (a timeout, a dropped
    connection), so it may have been accepted: a channel that cannot deduplicate (SMS) must ask
    the provider before trying again."""

    def __init__(
        self,
        detail: str,
        *,
        permanent: bool = False,
        bounce: bool = False,
        code: str | None = None,
        uncertain: bool = False,
    ):
        super().__init__(detail)
        self.detail = detail
        self.permanent = permanent
        self.bounce = bounce
        self.code = code
        self.uncertain = uncertain


__all__ = ["Delivered", "DeliveryError"]
