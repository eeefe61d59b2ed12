"""Delivery settings from `ARREARS_*` environment variables, and the channels they give.

| variable | default | meaning |
|---|---|---|
| `ARREARS_SMTP_HOST` | none: emails go to the workspace maildir | SMTP server |
| `ARREARS_SMTP_PORT` | 587 | |
| `ARREARS_SMTP_SECURITY` | `starttls` | `starttls`, `ssl` (implicit TLS, port 465) or `none` |
| `ARREARS_SMTP_USERNAME`, `ARREARS_SMTP_PASSWORD` | none | AUTH, when the server asks for it |
| `ARREARS_SMS_GATEWAY_URL` | none: SMS messages fail (dead) until set | base URL of a Twilio-compatible gateway |
| `ARREARS_SMS_ACCOUNT_SID`, `ARREARS_SMS_AUTH_TOKEN` | none | the gateway's credentials |
| `ARREARS_SMS_STATUS_CALLBACK` | none | where the gateway posts delivery receipts |
| `ARREARS_OUTBOX_MAX_ATTEMPTS` | 6 | attempts before a message is dead |
| `ARREARS_INVOICE_FOLDER` | `$ARREARS_HOME/invoices` | invoice PDFs to attach: `<creditor>/<number>.pdf` |

Without an SMTP server, emails are written to `$ARREARS_HOME/outbox/maildir`; letters always go
to `$ARREARS_HOME/letters/<creditor>/<day>/`.
"""

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

from arrears.comms.channels.email import SmtpSecurity, SmtpSettings, SmtpTransport
from arrears.comms.channels.letter import LetterPrinter
from arrears.comms.channels.maildir import MaildirTransport
from arrears.comms.channels.sms import SmsGateway, SmsGatewaySettings
from arrears.comms.dispatcher import Channels, DispatchSettings
from arrears.comms.outbox import RetryPolicy
from arrears.comms.render import InvoiceFolder

MAILDIR = Path("outbox") / "maildir"
LETTERS = Path("letters")


class CommsSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ARREARS_", extra="ignore")

    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_security: SmtpSecurity = SmtpSecurity.STARTTLS
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_timeout: float = 30
    sms_gateway_url: str | None = None
    sms_account_sid: str | None = None
    sms_auth_token: str | None = None
    sms_status_callback: str | None = None
    outbox_max_attempts: int = 6
    invoice_folder: Path | None = None

    def channels(self, home: Path) -> Channels:
        """SMTP when a host is set, else the workspace maildir; the SMS gateway when set; the
        workspace's print folders for letters."""
        if self.smtp_host:
            email: SmtpTransport | MaildirTransport = SmtpTransport(
                SmtpSettings(
                    host=self.smtp_host,
                    port=self.smtp_port,
                    security=self.smtp_security,
                    username=self.smtp_username,
                    password=self.smtp_password,
                    timeout_seconds=self.smtp_timeout,
                )
            )
        else:
            email = MaildirTransport(home / MAILDIR)
        sms = None
        if self.sms_gateway_url and self.sms_account_sid:
            sms = SmsGateway(
                SmsGatewaySettings(
                    base_url=self.sms_gateway_url,
                    account_sid=self.sms_account_sid,
                    auth_token=self.sms_auth_token or "",
                    status_callback=self.sms_status_callback,
                )
            )
        return Channels(email=email, sms=sms, letters=LetterPrinter(home / LETTERS))

    def dispatch_settings(self) -> DispatchSettings:
        return DispatchSettings(retry=RetryPolicy(max_attempts=self.outbox_max_attempts))

    def invoice_files(self, home: Path) -> InvoiceFolder:
        return InvoiceFolder(self.invoice_folder or home / "invoices")
