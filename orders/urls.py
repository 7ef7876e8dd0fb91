from django.urls import path

from . import views

app_name = "orders"

urlpatterns = [
    path("", views.order_list, name="list"),
    path("new/", views.order_new, name="new"),
    path("products/", views.product_options, name="products"),
    path("products/import/", views.product_import, name="product_import"),
    path("payments/", views.payments, name="payments"),
    path("payments/<int:pk>/<slug:action>/", views.payment_action, name="payment_action"),
    path("approvals/", views.approvals, name="approvals"),
    path("shipping/", views.shipping, name="shipping"),
    path("account-periods/", views.account_periods, name="account_periods"),
    path("account-periods/<int:pk>/", views.account_period_decide, name="account_period_decide"),
    path("customers/<int:pk>/statement/", views.statement, name="statement"),
    path("customers/<int:pk>/account-period/", views.account_period_new, name="account_period_new"),
    path("claims/<int:pk>/evidence/", views.claim_evidence, name="claim_evidence"),
    path("<int:pk>/", views.order_detail, name="detail"),
    path("<int:pk>/<slug:action>/", views.order_action, name="action"),
]
