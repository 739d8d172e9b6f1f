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
