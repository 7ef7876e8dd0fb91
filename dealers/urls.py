from django.urls import path

from . import views

app_name = "dealers"
urlpatterns = [
    path("", views.dealer_list, name="list"),
    path("new/", views.dealer_create, name="create"),
    path("export/", views.dealer_export, name="export"),
    path("<int:pk>/", views.dealer_detail, name="detail"),
    path("<int:pk>/edit/", views.dealer_edit, name="edit"),
    path("<int:pk>/print/", views.dealer_print, name="print"),
    path("<int:pk>/franchise/<slug:action>/", views.franchise_action, name="franchise"),
]
