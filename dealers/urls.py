from django.urls import path

from . import views

app_name = "dealers"
urlpatterns = [
    path("", views.dealer_list, name="list"),
    path("new/", views.dealer_create, name="create"),
    path("import/", views.dealer_import, name="import"),
    path("export/", views.dealer_export, name="export"),
    path("progress/", views.sales_progress, name="progress"),
    path("progress/export/", views.sales_progress_export, name="progress_export"),
    path("credit/", views.credit_proposals, name="credit"),
    path("credit/run/", views.credit_run, name="credit_run"),
    path("credit/<int:pk>/<slug:decision>/", views.credit_decide, name="credit_decide"),
    path("shortfalls/<int:pk>/<slug:decision>/", views.shortfall_decide, name="shortfall_decide"),
    path("<int:pk>/", views.dealer_detail, name="detail"),
    path("<int:pk>/edit/", views.dealer_edit, name="edit"),
    path("<int:pk>/print/", views.dealer_print, name="print"),
    path("<int:pk>/plan/", views.dealer_plan, name="plan"),
    path("<int:pk>/franchise/<slug:action>/", views.franchise_action, name="franchise"),
]
