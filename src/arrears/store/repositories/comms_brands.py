"""Brands: one per creditor, kept as the brand file's JSON and the logos' bytes."""

import json
from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy import select

from arrears.comms.brand import Brand, Logo, brand_from_dict, brand_to_dict
from arrears.core.errors import NotFoundError
from arrears.store.errors import WrongCreditorError
from arrears.store.repositories._common import Repository
from arrears.store.tables_comms import BrandRecord


class BrandRepository(Repository):
    def put(self, creditor: str, brand: Brand, *, at: datetime | None = None) -> None:
        """Set the creditor's brand, replacing the one it had."""
        if brand.creditor != creditor:
            raise WrongCreditorError(f"the brand is for creditor {brand.creditor}, not {creditor}")
        creditor_id = self._creditor_id(creditor)
        record = self._session.get(BrandRecord, creditor_id)
        if record is None:
            record = BrandRecord(creditor_id=creditor_id)
            self._session.add(record)
        agency_logo = brand.agency.logo if brand.agency is not None else None
        record.document = json.dumps(brand_to_dict(brand), sort_keys=True)
        record.logo_media_type = brand.logo.media_type if brand.logo else None
        record.logo = brand.logo.data if brand.logo else None
        record.agency_logo_media_type = agency_logo.media_type if agency_logo else None
        record.agency_logo = agency_logo.data if agency_logo else None
        record.updated_at = at or datetime.now(UTC)
        self._session.flush()

    def find(self, creditor: str) -> Brand | None:
        """The creditor's brand, or None when none is set."""
        record = self._session.scalar(
            select(BrandRecord).where(BrandRecord.creditor_id == self._creditor_id(creditor))
        )
        if record is None:
            return None
        logo = Logo(record.logo_media_type, record.logo) if record.logo and record.logo_media_type else None
        brand = brand_from_dict(json.loads(record.document), creditor, logo=logo)
        if brand.agency is not None and record.agency_logo and record.agency_logo_media_type:
            brand = replace(
                brand,
                agency=replace(brand.agency, logo=Logo(record.agency_logo_media_type, record.agency_logo)),
            )
        return brand

    def get(self, creditor: str) -> Brand:
        brand = self.find(creditor)
        if brand is None:
            raise NotFoundError(
                f"creditor {creditor} has no brand yet: set one with `arrears brand set {creditor} --file brand.yaml`"
            )
        return brand
