"""DRF pagination of the Nexus dialect: `page` and `page_size` (10 by default, capped at 50)."""

from rest_framework.pagination import PageNumberPagination


class PageSizePagination(PageNumberPagination):
    page_size = 10
    page_size_query_param = "page_size"
    max_page_size = 50  # a larger page_size is capped, not refused
