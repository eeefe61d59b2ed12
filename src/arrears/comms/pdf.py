"""HTML to PDF with WeasyPrint, for letters and statements.

WeasyPrint needs Pango (Debian: `libpango-1.0-0 libpangoft2-1.0-0`) and a font
(`fonts-dejavu-core`); the stylesheets ask for DejaVu Sans and fall back to any sans-serif.
With HarfBuzz's subsetter (`libharfbuzz-subset0`) a statement takes about 30 ms; without it
WeasyPrint falls back to fontTools, about eight times slower (`scripts/system-packages`
installs it).
Rendering takes tens of milliseconds a page, so a PDF is rendered once, when the message is
queued, and stored with it. Only `data:` URLs are fetched: a template can never make the
renderer read a file or the network.
"""

from functools import cache
from typing import Any

from arrears.core.errors import ArrearsError


class PdfError(ArrearsError, RuntimeError):
    """A PDF could not be rendered (WeasyPrint or its system libraries are missing)."""


@cache
def _weasyprint() -> Any:
    try:
        import weasyprint
    except (ImportError, OSError) as error:
        raise PdfError(
            f"WeasyPrint cannot start ({error}); install it with its system libraries "
            "(Debian: apt-get install libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core)"
        ) from None
    return weasyprint


def html_to_pdf(html: str) -> bytes:
    """The PDF of an HTML document (A4 and margins come from the document's own CSS)."""
    weasyprint = _weasyprint()
    fetcher = weasyprint.URLFetcher(allowed_protocols={"data"})
    document = weasyprint.HTML(string=html, url_fetcher=fetcher)
    pdf = document.write_pdf()
    if not isinstance(pdf, bytes):
        raise PdfError("WeasyPrint returned no PDF")
    return pdf
