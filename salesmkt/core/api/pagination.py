"""Every list pages; `page` and `page_size` that are not whole numbers of at least 1 are a 400
naming the parameter instead of being ignored (`page_size=abc` used to answer the default)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, pagination

NOT_A_PAGE_NUMBER = _("A whole number of at least 1 is required.")


def _whole_number(request, name: str) -> None:
    value = request.query_params.get(name)
    if value is None:
        return
    if not (value.isascii() and value.isdigit() and int(value) >= 1):
        raise exceptions.ValidationError({name: [NOT_A_PAGE_NUMBER]})


class PageNumberPagination(pagination.PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500

    def paginate_queryset(self, queryset, request, view=None):
        _whole_number(request, self.page_size_query_param)
        # "last" is DRF's name for the last page.
        if request.query_params.get(self.page_query_param) not in self.last_page_strings:
            _whole_number(request, self.page_query_param)
        return super().paginate_queryset(queryset, request, view)
