"""Channels: how a stored message reaches the debtor.

| module | channel | delivers to |
|---|---|---|
| `email` | email | an SMTP server (STARTTLS, SSL or plain; with or without auth) |
| `maildir` | email | a Maildir in the workspace: the default when no SMTP server is configured |
| `sms` | SMS | an HTTP gateway with Twilio's Messages API shape; delivery receipts; opt-outs |
| `letter` | letter | PDFs on the letterhead in a print folder, and one print batch per day |
| `call` | call | a call task in the worklist; call outcomes and inbound calls are logged |

A channel either returns a `Delivered` (with the provider's reference, if any) or raises a
`DeliveryError` that says whether trying again could help (`permanent`).
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
    `bounce`: the recipient's system refused the message (recorded on the debtor's timeline)."""

    def __init__(
        self, detail: str, *, permanent: bool = False, bounce: bool = False, code: str | None = None
    ):
        super().__init__(detail)
        self.detail = detail
        self.permanent = permanent
        self.bounce = bounce
        self.code = code


__all__ = ["Delivered", "DeliveryError"]
