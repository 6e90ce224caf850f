"""Page-number pagination for every list endpoint: `?page=N&page_size=M`."""

from drf_spectacular.utils import inline_serializer
from rest_framework import pagination, serializers


class PageNumberPagination(pagination.PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500


def paginated_schema(serializer_class: type[serializers.Serializer], name: str):
    """The OpenAPI shape of a paginated list of `serializer_class`, for `extend_schema`."""
    return inline_serializer(
        name=f"Paginated{name}List",
        fields={
            "count": serializers.IntegerField(),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": serializer_class(many=True),
        },
    )


def paginate(request, view, queryset, serializer_class, *, context: dict | None = None):
    """One page of `queryset`, serialized (with `context`), as the list response every endpoint returns."""
    paginator = PageNumberPagination()
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(serializer_class(page, many=True, context=context or {}).data)
