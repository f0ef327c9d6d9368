"""Three list endpoints over the same records, one per DRF pagination class; the same django-filter
FilterSet on each, and DRF's OrderingFilter on the two that page by position (the cursor's order is
fixed, as CursorPagination requires)."""

from __future__ import annotations

from typing import Any

import django_filters
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import generics, pagination
from rest_framework.filters import OrderingFilter
from rest_framework.schemas.openapi import AutoSchema

from .models import Item
from .serializers import ItemSerializer

SORT_FIELDS = ["id", "name", "category", "quantity", "price", "created"]


class CharInFilter(django_filters.BaseInFilter, django_filters.CharFilter):
    pass


class ItemFilter(django_filters.FilterSet):
    category = django_filters.CharFilter(field_name="category")
    category__in = CharInFilter(field_name="category", lookup_expr="in")
    color = django_filters.CharFilter(field_name="color")
    exclude_color = django_filters.CharFilter(field_name="color", exclude=True)
    name__icontains = django_filters.CharFilter(field_name="name", lookup_expr="icontains")
    quantity__gte = django_filters.NumberFilter(field_name="quantity", lookup_expr="gte")
    quantity__lte = django_filters.NumberFilter(field_name="quantity", lookup_expr="lte")
    price__gt = django_filters.NumberFilter(field_name="price", lookup_expr="gt")
    price__lt = django_filters.NumberFilter(field_name="price", lookup_expr="lt")

    class Meta:
        model = Item
        fields: list[str] = []


class OrderingWithIdTiebreak(OrderingFilter):
    """DRF's OrderingFilter, with `id` appended to whatever order it picks, so that records equal on the
    sort key come in one order on every page."""

    def get_ordering(self, request: Any, queryset: Any, view: Any) -> list[str]:
        ordering = list(super().get_ordering(request, queryset, view) or [])
        if not any(term.lstrip("-") == "id" for term in ordering):
            ordering.append("id")
        return ordering


class PageNumbers(pagination.PageNumberPagination):
    page_size = 10
    page_size_query_param = "page_size"
    max_page_size = 50


class LimitOffset(pagination.LimitOffsetPagination):
    default_limit = 10
    max_limit = 50


class Cursor(pagination.CursorPagination):
    page_size = 10
    page_size_query_param = "page_size"
    max_page_size = 50
    ordering = ("-created", "id")


class ListSchema(AutoSchema):
    """DRF's OpenAPI generator (`manage.py generateschema`), with two changes so that it runs here: each
    list operation is named after its view (listPageNumberItems), as DRF's own names pluralise with the
    `inflection` package, which the servers extra does not install; and a filter backend without DRF's
    schema method is left out, as django-filter removed its own in 25.1 (its CHANGES.rst: "use
    drf-spectacular"), so the document lists the paging and ordering parameters but not the filters."""

    def get_operation_id(self, path: str, method: str) -> str:
        return "list" + type(self.view).__name__

    def get_filter_parameters(self, path: str, method: str) -> list[dict[str, Any]]:
        if not self.allows_filters(path, method):
            return []
        return [
            parameter
            for backend in self.view.filter_backends
            if hasattr(backend, "get_schema_operation_parameters")
            for parameter in backend().get_schema_operation_parameters(self.view)
        ]


class ItemList(generics.ListAPIView):
    schema = ListSchema()
    queryset = Item.objects.all()
    serializer_class = ItemSerializer
    filterset_class = ItemFilter
    filter_backends = [DjangoFilterBackend, OrderingWithIdTiebreak]
    ordering_fields = SORT_FIELDS
    ordering = ["id"]


class PageNumberItems(ItemList):
    """Items, paged by page number."""

    pagination_class = PageNumbers


class LimitOffsetItems(ItemList):
    """Items, paged by limit and offset."""

    pagination_class = LimitOffset


class CursorItems(ItemList):
    """Items, paged by cursor, newest first."""

    filter_backends = [DjangoFilterBackend]
    pagination_class = Cursor
