"""Page arithmetic shared by the paginated lists (the register, the control tracker)."""

from __future__ import annotations


class PageNumbers:
    """For a dataclass with `total`, `page` and `per_page` fields: how many pages, and neighbours."""

    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def _pagination_words() -> list[str]:
    """The words of templates/_macros/pagination.html, listed so pybabel extracts them: it skips the
    templates/_macros folder (a directory starting with "_"). The template translates them."""
    from flask_babel import gettext as _

    return [_("Pages"), _("← Previous"), _("Next →"), _("Page %(page)s of %(pages)s")]
