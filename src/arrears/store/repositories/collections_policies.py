"""A creditor's collections set-up: its policy versions, its service windows, its worklist settings."""

import json
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import delete, func, select, update

from arrears.core.errors import ArrearsError, NotFoundError
from arrears.core.holds import ServiceWindow
from arrears.core.money import Money
from arrears.core.policy import Policy
from arrears.core.policy_format import policy_from_dict, policy_to_dict
from arrears.store.repositories._common import Repository
from arrears.store.tables_collections import (
    CollectionSettingsRecord,
    PolicyVersionRecord,
    ServiceWindowRecord,
)

DEFAULT_MINUTES_PER_CALL = 10
"""Minutes a controller's call task takes by default (dialling, the call, the notes)."""


class ServiceWindowError(ArrearsError, ValueError):
    """Turning the service on when it is on, or off when it is off."""


def aware(moment: datetime | None) -> datetime | None:
    """A timestamp read back from the store, in UTC (SQLite keeps no timezone)."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class StoredPolicy:
    """One version of a creditor's policy; `policy.version` is the stored version number."""

    policy: Policy
    version: int
    source: str
    created_at: datetime
    created_by: str


@dataclass(frozen=True, slots=True)
class CollectionSettings:
    """A creditor's worklist settings.

    - `monthly_budget_hours`: the controllers' time for this creditor per calendar month (None:
      no budget, the worklist is not cut);
    - `minutes_per_call`: what one call task or follow-up takes;
    - `flag_above`: accounts with at least this much at risk are flagged (None: none are).
    """

    monthly_budget_hours: Decimal | None = None
    minutes_per_call: int = DEFAULT_MINUTES_PER_CALL
    flag_above: Money | None = None

    @property
    def monthly_budget_minutes(self) -> int | None:
        if self.monthly_budget_hours is None:
            return None
        return int(self.monthly_budget_hours * 60)


class PolicyRepository(Repository):
    """Policy versions: each `add` makes the next version; the current one is the highest."""

    def add(self, creditor: str, policy: Policy, *, source: str, by: str, at: datetime) -> StoredPolicy:
        """Store `policy` as the creditor's next version (its own `version` is replaced by it)."""
        creditor_id = self._creditor_id(creditor)
        latest = self._session.scalar(
            select(func.max(PolicyVersionRecord.version)).where(
                PolicyVersionRecord.creditor_id == creditor_id
            )
        )
        version = (latest or 0) + 1
        stored = replace(policy, version=version)
        self._session.add(
            PolicyVersionRecord(
                creditor_id=creditor_id,
                version=version,
                name=stored.name,
                body=json.dumps(policy_to_dict(stored)),  # key order kept: segment rules apply in it
                source=source[:300],
                created_at=at,
                created_by=by[:100],
            )
        )
        self._session.flush()
        return StoredPolicy(stored, version, source, at, by)

    def current(self, creditor: str) -> StoredPolicy | None:
        """The creditor's latest version, or None when it never set one."""
        creditor_id = self._creditor_id(creditor)
        record = self._session.scalar(
            select(PolicyVersionRecord)
            .where(PolicyVersionRecord.creditor_id == creditor_id)
            .order_by(PolicyVersionRecord.version.desc())
            .limit(1)
        )
        return None if record is None else self._stored(creditor, record)

    def get(self, creditor: str, version: int) -> StoredPolicy:
        creditor_id = self._creditor_id(creditor)
        record = self._session.scalar(
            select(PolicyVersionRecord).where(
                PolicyVersionRecord.creditor_id == creditor_id, PolicyVersionRecord.version == version
            )
        )
        if record is None:
            raise NotFoundError(f"creditor {creditor} has no policy version {version}")
        return self._stored(creditor, record)

    def versions(self, creditor: str) -> list[StoredPolicy]:
        """Every version, oldest first."""
        creditor_id = self._creditor_id(creditor)
        records = self._session.scalars(
            select(PolicyVersionRecord)
            .where(PolicyVersionRecord.creditor_id == creditor_id)
            .order_by(PolicyVersionRecord.version)
        )
        return [self._stored(creditor, record) for record in records]

    @staticmethod
    def _stored(creditor: str, record: PolicyVersionRecord) -> StoredPolicy:
        policy = policy_from_dict(
            json.loads(record.body), source=f"creditor {creditor}'s policy version {record.version}"
        )
        at = aware(record.created_at)
        assert at is not None
        return StoredPolicy(policy, record.version, record.source, at, record.created_by)


class ServiceWindowRepository(Repository):
    """When the service is on for a creditor. A creditor with no window at all is on: nothing
    was ever turned off. Turning off on a day makes that day the first one off; turning on on a
    day makes it the first one on."""

    def windows(self, creditor: str) -> list[ServiceWindow]:
        """The windows, oldest first; a window on since the creditor was added starts on
        `date.min`. Empty: the service was never turned off (it is on)."""
        return [window for _, window in self._windows(creditor)]

    def is_on(self, creditor: str, day: date) -> bool:
        windows = self.windows(creditor)
        return not windows or any(window.includes(day) for window in windows)

    def turn_on(self, creditor: str, day: date) -> None:
        """The service is on from `day` (inclusive)."""
        windows = self._windows(creditor)
        if not windows:
            raise ServiceWindowError(f"the service is already on for {creditor}: it was never turned off")
        for _, window in windows:
            if window.includes(day) or (window.starts_on > day):
                since = "since it was added" if window.starts_on == date.min else f"from {window.starts_on}"
                raise ServiceWindowError(
                    f"the service is already on for {creditor} on {day.isoformat()} ({since}); "
                    "turn it off first, or choose a day after it was turned off"
                )
        self._session.add(
            ServiceWindowRecord(creditor_id=self._creditor_id(creditor), starts_on=day, ends_on=None)
        )
        self._session.flush()

    def turn_off(self, creditor: str, day: date) -> None:
        """The service is off from `day` (inclusive): the window that includes it ends the day before."""
        creditor_id = self._creditor_id(creditor)
        windows = self._windows(creditor)
        if not windows:
            self._session.add(
                ServiceWindowRecord(creditor_id=creditor_id, starts_on=None, ends_on=day - timedelta(days=1))
            )
            self._session.flush()
            return
        for record_id, window in windows:
            if window.includes(day):
                if window.ends_on is not None:
                    raise ServiceWindowError(
                        f"the service for {creditor} is already set to go off after {window.ends_on.isoformat()}"
                    )
                if window.starts_on >= day:  # turned on and off on the same day: it never was on
                    self._session.execute(
                        delete(ServiceWindowRecord).where(ServiceWindowRecord.id == record_id)
                    )
                else:
                    self._session.execute(
                        update(ServiceWindowRecord)
                        .where(ServiceWindowRecord.id == record_id)
                        .values(ends_on=day - timedelta(days=1))
                    )
                return
        raise ServiceWindowError(f"the service is already off for {creditor} on {day.isoformat()}")

    def _windows(self, creditor: str) -> list[tuple[int, ServiceWindow]]:
        creditor_id = self._creditor_id(creditor)
        rows = self._session.execute(
            select(ServiceWindowRecord.id, ServiceWindowRecord.starts_on, ServiceWindowRecord.ends_on)
            .where(ServiceWindowRecord.creditor_id == creditor_id)
            .order_by(ServiceWindowRecord.starts_on.is_not(None), ServiceWindowRecord.starts_on)
        )
        return [
            (record_id, ServiceWindow(starts_on or date.min, ends_on))
            for record_id, starts_on, ends_on in rows
        ]


class CollectionSettingsRepository(Repository):
    """Worklist settings per creditor (defaults when none were set)."""

    def get(self, creditor: str, currency: str) -> CollectionSettings:
        """The creditor's settings; `currency` is the creditor's, which the flag amount is in."""
        creditor_id = self._creditor_id(creditor)
        record = self._session.get(CollectionSettingsRecord, creditor_id)
        if record is None:
            return CollectionSettings()
        return CollectionSettings(
            monthly_budget_hours=(
                None
                if record.monthly_budget_minutes is None
                else (Decimal(record.monthly_budget_minutes) / 60).normalize()
            ),
            minutes_per_call=record.minutes_per_call,
            flag_above=(
                None
                if record.flag_above_minor is None
                else Money.from_minor_units(record.flag_above_minor, currency)
            ),
        )

    def set(self, creditor: str, settings: CollectionSettings) -> None:
        creditor_id = self._creditor_id(creditor)
        values = {
            "monthly_budget_minutes": settings.monthly_budget_minutes,
            "minutes_per_call": settings.minutes_per_call,
            "flag_above_minor": None if settings.flag_above is None else settings.flag_above.to_minor_units(),
        }
        record = self._session.get(CollectionSettingsRecord, creditor_id)
        if record is None:
            self._session.add(CollectionSettingsRecord(creditor_id=creditor_id, **values))
        else:
            for key, value in values.items():
                setattr(record, key, value)
        self._session.flush()
