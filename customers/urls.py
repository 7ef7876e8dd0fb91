from django.urls import path

from . import views

app_name = "customers"
urlpatterns = [
    path("", views.customer_list, name="list"),
    path("new/", views.customer_create, name="create"),
    path("export/", views.customer_export, name="export"),
    path("filters/", views.save_filter, name="save_filter"),
    path("regions/", views.region_options, name="regions"),
    path("bulk/", views.bulk_action, name="bulk"),
    path("bulk/owners/", views.bulk_owners, name="bulk_owners"),
    path("bulk/<int:pk>/", views.bulk_detail, name="bulk_detail"),
    path("bulk/<int:pk>/progress/", views.bulk_progress, name="bulk_progress"),
    path("id-check/", views.id_number_check, name="id_check"),
    path("approvals/", views.approvals, name="approvals"),
    path("handover/", views.handover, name="handover"),
    path("handover/requests/", views.handover_requests, name="handover_requests"),
    path("handover/requests/<int:pk>/", views.handover_request_decide, name="handover_request_decide"),
    path("levels/", views.level_requests, name="level_requests"),
    path("levels/<int:pk>/", views.level_request_decide, name="level_request_decide"),
    path("<int:pk>/", views.customer_detail, name="detail"),
    path("<int:pk>/edit/", views.customer_edit, name="edit"),
    path("<int:pk>/unmask/", views.unmask_field, name="unmask"),
    path("<int:pk>/files/<slug:field>/", views.customer_file, name="file"),
    path("<int:pk>/<slug:action>/", views.customer_action, name="action"),
]
