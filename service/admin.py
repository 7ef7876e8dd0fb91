from django.contrib import admin

from customers.admin import CustomerDataAdmin

from .models import CareMessage, CareTemplate, Complaint, MonthlyTarget, PoolRule, RevisitRule, Visit


@admin.register(RevisitRule)
class RevisitRuleAdmin(admin.ModelAdmin):
    list_display = ("tier", "who", "every_months", "per_month")


@admin.register(MonthlyTarget)
class MonthlyTargetAdmin(admin.ModelAdmin):
    """Seed 001's targets per rep and month: the company's row, and rows for units that differ."""

    list_display = ("__str__", "opportunities_found", "opportunities_won", "face_to_face_percent")
    autocomplete_fields = ("unit",)


@admin.register(PoolRule)
class PoolRuleAdmin(admin.ModelAdmin):
    list_display = ("tier", "no_followup_days", "no_deal_days", "warn_days_before", "exempt")


@admin.register(CareTemplate)
class CareTemplateAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "active")


admin.site.register(Visit, CustomerDataAdmin, list_display=("customer", "visited_on", "channel", "created_by"),
                    raw_id_fields=("customer",))
admin.site.register(Complaint, CustomerDataAdmin, list_display=("number", "customer", "category", "status", "solution_due"),
                    raw_id_fields=("customer",))
# A text message went to the customer's mobile: the address is masked like the mobile itself.
admin.site.register(CareMessage, CustomerDataAdmin, list_display=("customer", "occasion", "channel", "sent_at"),
                    raw_id_fields=("customer",), sensitive={"to": lambda message: "mobile" if message.channel == "sms" else None})
