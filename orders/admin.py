"""Products, credit terms and the GM's approval delegates are kept in the admin; orders and money only
change through their workflows, so the admin shows them read-only."""
from django.contrib import admin

from crm.admin import ReadOnlyAdmin

from . import permissions
from .models import AccountPeriodApplication, ApprovalDelegate, Charge, CreditTerms, Order, Payment, Product


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "specification", "unit", "category", "list_price", "active", "returnable",
                    "return_days")
    list_filter = ("active", "returnable", "category")
    search_fields = ("code", "name")
    change_list_template = "admin/orders/product/change_list.html"  # adds the link to the product import

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {**(extra_context or {}),
                                                 "can_import_products": permissions.can_manage_products(request.user)})


@admin.register(ApprovalDelegate)
class ApprovalDelegateAdmin(admin.ModelAdmin):
    list_display = ("user", "until")
    raw_id_fields = ("user",)


@admin.register(CreditTerms)
class CreditTermsAdmin(ReadOnlyAdmin):
    list_display = ("customer", "limit", "period_days", "source", "reference", "updated_at")
    list_filter = ("source",)
    raw_id_fields = ("customer",)


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    list_display = ("number", "customer", "status", "total", "allocated", "booked_on", "ship_due_on")
    list_filter = ("status",)
    search_fields = ("number",)
    raw_id_fields = ("customer",)
    show_full_result_count = False


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ("customer", "method", "amount", "received_on", "status", "allocated")
    list_filter = ("status", "method")
    raw_id_fields = ("customer",)
    show_full_result_count = False


@admin.register(Charge)
class ChargeAdmin(ReadOnlyAdmin):
    list_display = ("customer", "on", "kind", "amount")
    raw_id_fields = ("customer",)


@admin.register(AccountPeriodApplication)
class AccountPeriodApplicationAdmin(ReadOnlyAdmin):
    list_display = ("customer", "limit", "period_days", "status", "created_at")
    list_filter = ("status",)
    raw_id_fields = ("customer",)
