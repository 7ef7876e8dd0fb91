from django.contrib import admin

from .models import CareMessage, CareTemplate, Complaint, PoolRule, RevisitRule, Visit


@admin.register(RevisitRule)
class RevisitRuleAdmin(admin.ModelAdmin):
    list_display = ("tier", "who", "every_months")


@admin.register(PoolRule)
class PoolRuleAdmin(admin.ModelAdmin):
    list_display = ("tier", "no_followup_days", "no_deal_days", "warn_days_before", "exempt")


@admin.register(CareTemplate)
class CareTemplateAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "active")


admin.site.register(Visit, list_display=("customer", "visited_on", "channel", "created_by"), raw_id_fields=("customer",))
admin.site.register(Complaint, list_display=("number", "customer", "category", "status", "solution_due"), raw_id_fields=("customer",))
admin.site.register(CareMessage, list_display=("customer", "occasion", "channel", "sent_at"), raw_id_fields=("customer",))
