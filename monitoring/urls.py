from django.urls import path

from . import views

app_name = "monitoring"

urlpatterns = [
    path("", views.StatusView.as_view(), name="status"),
    path("destinations/", views.DestinationsView.as_view(), name="destinations"),
    path(
        "destinations/<int:pk>/delete/",
        views.DestinationDeleteView.as_view(),
        name="destination_delete",
    ),
    path(
        "destinations/<int:pk>/test/", views.DestinationTestView.as_view(), name="destination_test"
    ),
    path("calendar/", views.CalendarView.as_view(), name="calendar"),
    path("timeline/", views.TimelineView.as_view(), name="timeline"),
    path("calendar/<str:token>.ics", views.feed, name="feed"),
]
