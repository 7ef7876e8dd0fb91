from django.urls import path

from . import views

app_name = "service"
urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/count/", views.inbox_count, name="inbox_count"),
    path("visits/new/", views.visit_new, name="visit_new"),
    path("visits/week/", views.weekly, name="weekly"),
    path("complaints/", views.complaints, name="complaints"),
    path("pool/", views.public_pool, name="pool"),
    path("inquiries/", views.inquiries, name="inquiries"),
    path("care/<int:pk>/", views.care_opt_out, name="care_opt_out"),
    path("opportunities/", views.opportunities, name="opportunities"),
    path("opportunities/<int:pk>/", views.opportunity_action, name="opportunity_action"),
    path("opportunities/<int:pk>/move/", views.opportunity_move, name="opportunity_move"),
    path("new/<slug:purpose>/customer/", views.pick_customer, name="pick_customer"),
    path("complaints/new/", views.complaint_new, name="complaint_new"),
    path("complaints/<int:pk>/", views.complaint_detail, name="complaint_detail"),
    path("tasks/<int:pk>/<slug:verb>/", views.task_action, name="task_action"),
    path("targets/", views.monthly_targets, name="targets"),
    path("recalls/", views.recalls, name="recalls"),
    path("recalls/<int:pk>/", views.recall_detail, name="recall_detail"),
]
