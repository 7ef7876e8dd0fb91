from django.urls import path

from . import views

app_name = "confidentiality"
urlpatterns = [
    path("requests/", views.request_list, name="requests"),
    path("requests/new/", views.request_new, name="request_new"),
    path("requests/<int:pk>/", views.request_detail, name="request_detail"),
    path("requests/<int:pk>/customers/", views.request_customers, name="request_customers"),
    path("requests/<int:pk>/print/", views.request_print, name="request_print"),
    path("requests/<int:pk>/export/", views.request_export, name="request_export"),
    path("requests/<int:pk>/<slug:action>/", views.request_action, name="request_action"),
    path("queue/", views.queue, name="queue"),
    path("printouts/<int:pk>/check-in/", views.printout_check_in, name="printout_check_in"),
    path("audit/", views.audit_log, name="audit"),
    path("leaks/", views.leaks, name="leaks"),
    path("archive/", views.archive, name="archive"),
    path("archive/report/", views.archive_report, name="archive_report"),
    path("archive/<int:pk>/<slug:action>/", views.archive_action, name="archive_action"),
    path("leaks/<int:pk>/", views.leak_detail, name="leak_detail"),
]
