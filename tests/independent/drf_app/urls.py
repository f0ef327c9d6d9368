from django.urls import path

from . import views

urlpatterns = [
    path("items/page-number/", views.PageNumberItems.as_view(), name="items-page-number"),
    path("items/limit-offset/", views.LimitOffsetItems.as_view(), name="items-limit-offset"),
    path("items/cursor/", views.CursorItems.as_view(), name="items-cursor"),
]
