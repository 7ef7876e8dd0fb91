"""The UI speaks the organisation's language (zh-hans) unless the user switched; the browser's
Accept-Language is ignored so that an English-language browser does not silently change it."""
from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers


class OrganisationLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _ in settings.LANGUAGES}

    def __call__(self, request):
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if language not in self.supported:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        patch_vary_headers(response, ("Cookie",))
        return response
