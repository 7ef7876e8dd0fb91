"""What service does when customers report a fact (customers.signals)."""
from django.dispatch import receiver
from django.utils import timezone

from customers.signals import tier_changed

from .models import FollowUpTask


@receiver(tier_changed, dispatch_uid="service.settle_tier_review")
def settle_tier_review(sender, customer, **kwargs):
    """The quarterly tier proposal is settled by the decision, whichever way it went."""
    FollowUpTask.objects.filter(customer=customer, kind=FollowUpTask.Kind.TIER_REVIEW, done_at__isnull=True).update(
        done_at=timezone.now()
    )
