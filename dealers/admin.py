"""Admin: the rules admins edit (franchise minimums, the credit score's weights and the grades' thresholds).
Dealer cards are not in the admin: their sensitive fields are masked on the pages only."""
from django.contrib import admin

from .models import CreditGradeRule, CreditPolicy, FranchiseRules


@admin.register(FranchiseRules)
class FranchiseRulesAdmin(admin.ModelAdmin):
    list_display = ("min_floor_area", "min_monthly_revenue", "min_distance_km", "notice_days", "changed_at")


@admin.register(CreditPolicy)
class CreditPolicyAdmin(admin.ModelAdmin):
    list_display = ("months", "payment_weight", "method_weight", "plan_weight", "full_marks_payment", "changed_at")


@admin.register(CreditGradeRule)
class CreditGradeRuleAdmin(admin.ModelAdmin):
    list_display = ("grade", "min_score", "credit_limit", "credit_days")
