"""The grant rows in customers' guardian table carry a grant's id without a database foreign key (customers
sits below confidentiality), so the cascade the key used to give is done here."""
from django.db.models.signals import post_delete
from django.dispatch import receiver

from customers.services import delete_grant_rows

from .models import AccessGrant


@receiver(post_delete, sender=AccessGrant, dispatch_uid="confidentiality.grant_rows_go_with_their_grant")
def grant_rows_go_with_their_grant(sender, instance, **kwargs):
    delete_grant_rows(instance.pk)
