"""Pagination that never answers 404 for a page number a person typed or an old link kept."""


class ForgivingPaginationMixin:
    """A ListView mixin: a page number that is not a number, or beyond the last page, shows
    the first or the last page instead of an error (Paginator.get_page)."""

    def paginate_queryset(self, queryset, page_size):
        paginator = self.get_paginator(
            queryset,
            page_size,
            orphans=self.get_paginate_orphans(),
            allow_empty_first_page=self.get_allow_empty(),
        )
        page = paginator.get_page(self.request.GET.get(self.page_kwarg))
        return paginator, page, page.object_list, page.has_other_pages()
