"""What every endpoint of the REST API shares: one error format, pagination, throttling, conditional GET.

The error format (issue 5): every 4xx answers

    {"errors": [{"field": "date", "message": "…", "row": null}, …]}

`field` is the query parameter or body field that was wrong ("" for the request as a whole), `row` the
0-based index of the item in a list body (null otherwise). DRF's own exceptions (authentication,
permission, 404, 405, throttling, parse errors, validation) are turned into it by `exception_handler`,
so a view only raises; `/api/v1/` paths that match no endpoint answer it too (`not_found`).

A JSON body may nest arrays and objects at most MAX_JSON_DEPTH deep (`DepthLimitedJSONParser`,
`loads_json`): deeper, Python's decoder raises RecursionError, which was a 500; now a 400.
"""

from __future__ import annotations

import codecs
import datetime
import decimal
import hashlib
import json
import re
from collections.abc import Iterable

import orjson
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, RequestDataTooBig, TooManyFieldsSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models.constants import LOOKUP_SEP
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.http import http_date, parse_etags, quote_etag
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, serializers, status
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.utils import json as drf_json

from lib import ratelimit

NON_FIELD = ""


def api_error(message: str, *, field: str = NON_FIELD, row: int | None = None) -> dict:
    return {"field": field, "message": str(message), "row": row}


def errors_response(errors: Iterable[dict], status_code: int = status.HTTP_400_BAD_REQUEST, **kwargs) -> Response:
    return Response({"errors": list(errors)}, status=status_code, **kwargs)


def flatten_errors(detail, *, field: str = "", row: int | None = None) -> list[dict]:
    """DRF's nested error detail ({"field": ["msg"]}, [{"field": [...]}, …] for a list body, nested
    serializers) as a flat list of {field, message, row}. Nested fields are joined with dots; the index
    of an item in a top-level list becomes its `row`."""
    if isinstance(detail, dict):
        found = []
        for name, value in detail.items():
            name = "" if name in ("non_field_errors", "detail") else str(name)
            found.extend(flatten_errors(value, field=f"{field}.{name}" if field and name else field or name, row=row))
        return found
    if isinstance(detail, list):
        if any(isinstance(item, dict) for item in detail):
            found = []
            for index, item in enumerate(detail):
                if field:
                    found.extend(flatten_errors(item, field=f"{field}.{index}", row=row))
                else:
                    found.extend(flatten_errors(item, field="", row=index))
            return found
        return [api_error(message, field=field, row=row) for message in detail]
    return [api_error(detail, field=field, row=row)]


def exception_handler(exc, context):
    """DRF's handler, then the body rewritten into the one error format. Also answers what DRF leaves to
    Django (a 500 or an HTML 400): a body over the size limit (413), too many form fields (400)."""
    if isinstance(exc, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        message = f"the request body is larger than {limit // 1024} KB, the limit for this endpoint"
        return errors_response([api_error(message)], status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    if isinstance(exc, TooManyFieldsSent):
        return errors_response([api_error("the request has too many fields")])
    if isinstance(exc, exceptions.ParseError):
        # DRF's parse error text already says what the parser stumbled on.
        return errors_response([api_error(f"the body could not be read: {exc.detail}")])
    if isinstance(exc, DjangoValidationError):
        # A service's refusal (services raise Django's ValidationError, which DRF leaves as a 500): a 400 in
        # the format, each message under the field it names ("" for the request as a whole).
        detail = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        exc = exceptions.ValidationError(
            {NON_FIELD if name == "__all__" else name: m for name, m in detail.items()}
            if isinstance(detail, dict)
            else detail
        )
    # Throttled itself is PrincipalRateThrottle's; a subclass (staff.api's failed tokens) says its own.
    if type(exc) is exceptions.Throttled:
        exc.detail = (
            f"too many requests: the limit is {throttle_rate()}; try again in {exc.wait or 1:.0f} seconds"
            if exc.wait is not None
            else f"too many requests: the limit is {throttle_rate()}"
        )
    # Imported here, not at the top: REST_FRAMEWORK's settings name this module's parser, throttle and
    # handler, and rest_framework.views resolves them while it defines APIView, so a module-level import
    # of it from here is a cycle whenever lib.api is the first of the two imported (a test module that
    # imports lib.api_fields first, run alone).
    from rest_framework.views import exception_handler as drf_exception_handler

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = {"errors": flatten_errors(exc.detail)}
    else:
        response.data = {"errors": flatten_errors(response.data)}
    return response


# Exempt like every DRF view: otherwise a POST, PUT or DELETE to an unknown path is stopped by Django's CSRF
# check first and answered with its HTML 403 page. A 404 changes nothing, so there is nothing to protect.
@csrf_exempt
def not_found(request: HttpRequest, *args, **kwargs) -> JsonResponse:
    """The answer for an /api/v1/ path that matches no endpoint: the error format, not Django's HTML."""
    message = f"no endpoint at {request.path}; the list of endpoints is at /api/v1/docs/"
    return JsonResponse({"errors": [api_error(message)]}, status=status.HTTP_404_NOT_FOUND)


class StrictFieldsMixin:
    """A serializer that refuses fields it does not know (DRF ignores them): a misspelt `valeu` must not
    be read as "no value given" or silently dropped."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                known = ", ".join(self.fields)
                raise exceptions.ValidationError(
                    {name: [f"unknown field (the fields are: {known})"] for name in unknown}
                )
        return super().to_internal_value(data)


class ApiErrorSerializer(serializers.Serializer):
    field = serializers.CharField(
        allow_blank=True, help_text="The query parameter or body field that was wrong; empty for the request itself."
    )
    message = serializers.CharField(help_text="What was wrong and what is expected.")
    row = serializers.IntegerField(
        allow_null=True, help_text="0-based index of the item in a list body (a fact of a batch); null otherwise."
    )


class ApiErrorsSerializer(serializers.Serializer):
    errors = ApiErrorSerializer(many=True)


# -- JSON bodies ---------------------------------------------------------------------------------------

# No body of the API nests deeper than 3 (a batch of facts: {"facts": [{…}]}); 32 leaves room for any
# body to come while stopping a hand-made one long before Python's decoder runs out of recursion.
MAX_JSON_DEPTH = 32
TOO_DEEP = f"it nests arrays and objects deeper than {MAX_JSON_DEPTH} levels"


# JSON may escape half of a UTF-16 pair alone ("\ud800"); Python decodes it to a string no database,
# file or JSON encoder of ours can write, so such a body is refused where it is read.
NOT_UNICODE = "it holds text that is not Unicode (an unpaired surrogate escape such as \\ud800)"


class JsonTooDeep(ValueError):
    pass


class JsonNotUnicode(ValueError):
    pass


def _is_unicode(text: str) -> bool:
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# Where a body may hold a surrogate: "\ud800" … "\udfff" escaped (the only way JSON can carry one).
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE_ESCAPE_BYTES = re.compile(rb"\\u[dD][89a-fA-F]")


def check_json(data, *, limit: int = MAX_JSON_DEPTH, strings: bool = True) -> None:
    """Raise JsonTooDeep when decoded JSON nests lists and dicts more than `limit` levels; JsonNotUnicode
    when a key or a string holds an unpaired surrogate (`strings`: whether to look, see loads_json).
    Iterative, so the check itself cannot recurse too deep."""
    kinds = (dict, list, str) if strings else (dict, list)
    pending = [(data, 1)]
    while pending:
        node, depth = pending.pop()
        if isinstance(node, str):
            if not _is_unicode(node):
                raise JsonNotUnicode(NOT_UNICODE)
            continue
        if isinstance(node, dict):
            if strings and not all(_is_unicode(key) for key in node):
                raise JsonNotUnicode(NOT_UNICODE)
            node = node.values()
        elif not isinstance(node, list):
            continue
        if depth > limit:
            raise JsonTooDeep(TOO_DEEP)
        pending.extend((child, depth + 1) for child in node if isinstance(child, kinds))


def loads_json(raw: str | bytes, *, loads=json.loads):
    """`loads` (json.loads, or lib.api_fields.json_loads that keeps numbers as written) with the depth
    limit: JsonTooDeep (a ValueError) for a body nested too deep, whether the decoder got through it
    (then checked) or gave up with a RecursionError; JsonNotUnicode (a ValueError) for an unpaired
    surrogate. The strings are only walked when the text escapes one (a search of the raw text: walking
    a batch of 50,000 facts' strings costs 0.2 s, four times its decoding)."""
    try:
        data = loads(raw)
    except RecursionError:
        raise JsonTooDeep(TOO_DEEP) from None
    pattern = _SURROGATE_ESCAPE_BYTES if isinstance(raw, bytes) else _SURROGATE_ESCAPE
    check_json(data, strings=pattern.search(raw) is not None)
    return data


class DepthLimitedJSONParser(JSONParser):
    """DRF's JSON parser (strict: no NaN or Infinity) with the depth limit and whole Unicode text; a body
    too deep or with an unpaired surrogate is a ParseError, a 400 in the error format."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = codecs.getreader(encoding)(stream).read()
            return loads_json(text, loads=_strict_loads)
        except JsonTooDeep:
            raise exceptions.ParseError(TOO_DEEP) from None
        except JsonNotUnicode:
            raise exceptions.ParseError(NOT_UNICODE) from None
        except ValueError as exc:  # as DRF's JSONParser words it (UnicodeDecodeError is one too)
            raise exceptions.ParseError(f"JSON parse error - {exc}") from None


def _strict_loads(text: str):
    """DRF's strict decoding: NaN and Infinity, which are not JSON, are a ValueError."""
    return json.loads(text, parse_constant=drf_json.strict_constant)


# -- pagination ----------------------------------------------------------------------------------------


class StableCursorPagination(CursorPagination):
    """Cursor pagination (`?cursor=…`): stable while rows are added, and as cheap on page 1,000 as on page
    1. `page_size` defaults to 100 and may be asked for up to 1,000. Views set `ordering` to a unique
    column tuple."""

    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000
    ordering = ("pk",)

    def get_page_size(self, request) -> int:
        # DRF quietly falls back to the default on a bad page_size; an integration should hear about it.
        raw = request.query_params.get(self.page_size_query_param, "")
        if raw == "":
            return self.page_size
        # isdecimal, not isdigit: "²" is a digit that int() refuses (a ValueError, a 500).
        if not raw.isdecimal() or not 1 <= int(raw) <= self.max_page_size:
            message = f"“{raw}” is not a page size; ask for a whole number from 1 to {self.max_page_size}"
            raise exceptions.ValidationError({self.page_size_query_param: [message]})
        return int(raw)

    invalid_cursor = "this is not a cursor the API gave out; follow the `next` and `previous` links as they are"

    def paginate_queryset(self, queryset, request, view=None):
        self._queryset = queryset  # for decode_cursor, which DRF calls without it
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request):
        """DRF's cursor, refused with a 400 unless its position could be one of the list's: DRF checks
        the offset and direction but filters by the position as it comes (`date > 'x'`), and a hand-made
        one answered 500 (a ValidationError or an OverflowError from the query; on PostgreSQL also a
        NUL byte). The position is converted as the first ordering column would convert it."""
        try:
            cursor = super().decode_cursor(request)
        except exceptions.NotFound:
            cursor = None
        else:
            if cursor is None or cursor.position is None or self._is_position(cursor.position):
                return cursor
        raise exceptions.ValidationError({self.cursor_query_param: [self.invalid_cursor]})

    def _is_position(self, position: str) -> bool:
        if "\x00" in position or len(position) > MAX_CURSOR_POSITION:
            return False
        field = _ordering_field(self._queryset, self.ordering[0].lstrip("-"))
        if field is None:
            return True
        try:
            value = field.get_prep_value(field.to_python(position))
        except (DjangoValidationError, ValueError, TypeError, ArithmeticError):
            return False
        if isinstance(value, int) and not -(2**63) <= value < 2**63:
            return False
        return not (isinstance(value, decimal.Decimal) and not value.is_finite())

    def get_schema_operation_parameters(self, view) -> list[dict]:
        # Document the bounds get_page_size enforces, so a client (and schemathesis) knows 0 is refused.
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size, default=self.page_size)
        return parameters


MAX_CURSOR_POSITION = 200


def _ordering_field(queryset, name: str):
    """The model field (or annotation's output field) a cursor's position is compared with; None when it
    cannot be told (the position is then passed on as DRF would)."""
    annotation = queryset.query.annotations.get(name)
    if annotation is not None:
        return getattr(annotation, "output_field", None)
    model = queryset.model
    field = None
    for part in name.split(LOOKUP_SEP):
        try:
            field = model._meta.pk if part == "pk" else model._meta.get_field(part)
        except FieldDoesNotExist:
            return None
        if field.is_relation:
            if field.related_model is None:
                return None
            model = field.related_model
            field = field.target_field if hasattr(field, "target_field") else model._meta.pk
    return field


# -- throttling ----------------------------------------------------------------------------------------


def throttle_rate() -> str | None:
    return getattr(settings, "API_THROTTLE_RATE", None)


class PrincipalRateThrottle(BaseThrottle):
    """One bucket per API token and one per signed-in user, at settings.API_THROTTLE_RATE (e.g.
    "1200/min"); unthrottled when that is empty. Read per request, so the rate can be changed without a
    restart (and in tests). Counted atomically in the cache (lib/ratelimit.py says why that holds across
    gunicorn workers), so N requests in a window pass and the N+1th is refused, however many clients
    send them in parallel."""

    def allow_request(self, request, view) -> bool:
        self.wait_seconds = None
        rate = throttle_rate()
        if not rate:
            return True
        limit, window = ratelimit.parse_rate(rate)
        allowed, wait = ratelimit.hit(self.key(request), limit=limit, window=window)
        if not allowed:
            self.wait_seconds = wait
        return allowed

    def wait(self) -> float | None:
        return self.wait_seconds

    def key(self, request) -> str:
        token = getattr(request, "auth", None)
        if token is not None and hasattr(token, "key_hash"):
            return f"throttle:token:{token.pk}"
        if request.user and request.user.is_authenticated:
            return f"throttle:user:{request.user.pk}"
        return f"throttle:ip:{ratelimit.client_ip(request)}"


# -- JSON answers ----------------------------------------------------------------------------------------

# orjson for the plain types (str, int, bool, None, dict, list, tuple), which is all the API's answers hold
# (decimals, dates and times are strings by then); anything else (a Decimal, a date, a lazy translation, a
# key that is not a str, an int beyond 64 bits) is left to DRF's encoder for the whole body, so what it
# writes for them stays as it was. A float (none in the API: decimals are strings) would be written in its
# shortest form by both, but 1e-07 as 1e-7.
_ORJSON_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def _not_plain(value):
    raise TypeError


def render_json(data) -> bytes:
    """`data` as DRF's JSONRenderer writes it (UTF-8, compact separators, U+2028 and U+2029 escaped as
    JavaScript needs them), byte for byte (tests/bankops/test_api_json.py), with orjson when the data is
    plain: ten times faster on the scorecard list's 1.2 MB pages."""
    try:
        body = orjson.dumps(data, default=_not_plain, option=_ORJSON_OPTIONS)
    except TypeError:  # orjson.JSONEncodeError: not plain data
        return JSONRenderer().render(data)
    if b"\xe2\x80\xa8" in body or b"\xe2\x80\xa9" in body:
        body = body.replace("\u2028".encode(), b"\\u2028").replace("\u2029".encode(), b"\\u2029")
    return body


# -- conditional GET -----------------------------------------------------------------------------------


def conditional_response(
    request,
    data=None,
    *,
    body: bytes | None = None,
    etag: str | None = None,
    last_modified: datetime.datetime | None = None,
) -> HttpResponse:
    """`data` (or its JSON `body`, already rendered with render_json) as a 200 with an ETag (a hash of the
    JSON body), or a bodiless 304 when the client already holds exactly this answer (If-None-Match). The
    ETag is taken from the answer itself, so it can never claim "unchanged" after a republished day, a new
    peer group or a change of scope; a poller saves the transfer and its own processing. `Last-Modified`
    says when the figures were published. The body is rendered once, here, and hashed as sent, unless the
    caller gives its `etag`: a hash that changes exactly when the body does, cheaper than hashing a large
    body (the scorecard list's hashes its cards' digests, kpi.selectors.scorecard_json.page_json)."""
    if body is None:
        body = render_json(data)
    if etag is None:
        etag = quote_etag(hashlib.sha256(body).hexdigest()[:32])
    headers = {"ETag": etag}
    if last_modified is not None:
        headers["Last-Modified"] = http_date(last_modified.timestamp())
    # If-None-Match compares weakly (RFC 9110 §13.1.2): W/"x" matches "x", as a proxy that compressed
    # the body sends it back.
    wanted = parse_etags(request.headers.get("If-None-Match", ""))
    if "*" in wanted or etag in [tag.removeprefix("W/") for tag in wanted]:
        return HttpResponse(status=status.HTTP_304_NOT_MODIFIED, headers=headers)
    return HttpResponse(body, content_type="application/json", headers=headers)
