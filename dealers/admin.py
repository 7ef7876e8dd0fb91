"""Admin: the rules admins edit (franchise minimums; credit thresholds and weights come with credit grades).
Dealer cards are not in the admin: their sensitive fields are masked on the pages only."""
from django.contrib import admin

from .models import FranchiseRules


@admin.register(FranchiseRules)
class FranchiseRulesAdmin(admin.ModelAdmin):
    list_display = ("min_floor_area", "min_monthly_revenue", "min_distance_km", "notice_days", "changed_at")
