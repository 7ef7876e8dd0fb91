"""Facts about customers that apps above listen to: customers imports none of them (issue 12, layers)."""
from django.dispatch import Signal

# Sent inside the change's transaction, once the customer is saved: customer, actor, old, new.
tier_changed = Signal()
