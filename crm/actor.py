"""Who is acting right now: set per request by middleware, or explicitly by jobs and commands,
so that history rows written deep inside a queryset update still know their author."""
import contextvars
from contextlib import contextmanager

_current_actor: contextvars.ContextVar = contextvars.ContextVar("current_actor", default=None)


def current_actor():
    return _current_actor.get()


@contextmanager
def acting_as(user):
    token = _current_actor.set(user)
    try:
        yield user
    finally:
        _current_actor.reset(token)


class CurrentActorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        with acting_as(user if user is not None and user.is_authenticated else None):
            return self.get_response(request)
