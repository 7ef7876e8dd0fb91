from django.urls import path

from . import views

app_name = "imports"
urlpatterns = [
    path("", views.import_list, name="list"),
    path("<int:pk>/", views.import_detail, name="detail"),
    path("<int:pk>/sheet/", views.choose_sheet, name="sheet"),
    path("<int:pk>/preview/", views.preview, name="preview"),
    path("<int:pk>/values/", views.value_map, name="values"),
    path("<int:pk>/commit/", views.commit, name="commit"),
    path("<int:pk>/cancel/", views.cancel, name="cancel"),
    path("<int:pk>/progress/", views.progress, name="progress"),
    path("<int:pk>/report/", views.report, name="report"),
]
