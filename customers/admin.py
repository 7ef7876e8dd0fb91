from django.contrib import admin

from .models import Customer, CustomerChange, CustomerEvent, HandoverNotice, Verification


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("customer_code", "name", "tier", "registration_status", "customer_status", "unit", "account_manager")
    list_filter = ("registration_status", "tier", "customer_status")
    search_fields = ("customer_code", "name", "mobile")
    raw_id_fields = ("account_manager", "created_by", "phone_order_clerk", "delivery_person", "service_staff", "licence_officer")
    show_full_result_count = False


@admin.register(CustomerChange)
class CustomerChangeAdmin(admin.ModelAdmin):
    list_display = ("customer", "field", "old_value", "new_value", "actor", "at", "source")
    raw_id_fields = ("customer",)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


admin.site.register(CustomerEvent, list_display=("customer", "kind", "actor", "at"), raw_id_fields=("customer",))
admin.site.register(Verification, list_display=("customer", "channel", "result", "verifier", "verified_on"), raw_id_fields=("customer",))
admin.site.register(HandoverNotice, list_display=("customer", "previous_owner", "new_owner", "created_at"), raw_id_fields=("customer",))
