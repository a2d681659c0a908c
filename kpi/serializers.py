"""API representations of KPI data (kpi/api/)."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from kpi.models import Contest, ContestPair, LineKind, Scorecard, ScorecardLine, Status, TemplateLine
from kpi.tables import RANKING_API
from lib.api_fields import DateField, NumberField
from lib.periods import PERIOD_KINDS, previous_period_day, same_day_last_year

# -- scorecards (GET /api/v1/scorecards/) ------------------------------------------------------------


def _decimal_text(places: int):
    """What DRF's DecimalField writes (a string with exactly `places` decimals, half-even), without
    building a field per value: a page of 100 scorecards has about 1,500 lines of 8 decimals each."""
    quantum = Decimal(1).scaleb(-places)

    def text(value):
        if value is None:
            return None
        if type(value) is Decimal:
            # A Decimal read from its column already has `places` decimals: its str() is the answer (no
            # exponent for 1 to 6 places), a third of the cost of quantizing and formatting it again.
            written = str(value)
            point = written.find(".")
            if point > 0 and len(written) - point - 1 == places and "E" not in written:
                return written
        return f"{Decimal(value).quantize(quantum, rounding=ROUND_HALF_EVEN):f}"

    return text


LINE_FIELDS = [
    "metric",
    "actual",
    "target",
    "attainment",
    "time_progress",
    "pace_attainment",
    "status",
    "gap_to_pace",
    "required_per_day",
    "score",
    "target_from_children",
    "time_basis",
]
# Fields written as they are stored (text and booleans); the others are decimals.
_LINE_PLAIN = ("metric", "status", "target_from_children", "time_basis")
_LINE_DECIMALS = {
    name: _decimal_text(ScorecardLine._meta.get_field(name).decimal_places)
    for name in LINE_FIELDS
    if name not in _LINE_PLAIN
}


# How the template line scores the line (kpi.selectors.score_explanation), after the figures: null for
# a metric the template does not score; cap and floor for weighted lines only.
RULE_FIELDS = ["kind", "weight", "cap", "floor", "points_per_unit", "max_points", "allowed_value"]
_RULE_DECIMALS = {
    name: _decimal_text(TemplateLine._meta.get_field(name).decimal_places) for name in RULE_FIELDS if name != "kind"
}
_WEIGHTED_ONLY = {"cap", "floor"}


def _rule_field(name: str, help_text: str) -> serializers.DecimalField:
    model_field = TemplateLine._meta.get_field(name)
    return serializers.DecimalField(
        max_digits=model_field.max_digits,
        decimal_places=model_field.decimal_places,
        allow_null=True,
        read_only=True,
        help_text=help_text,
    )


# The comparisons and the forecast of a line (issue 14; kpi.selectors.comparisons), after the fields
# above, which stay as they were: name → (how it is written, help text).
_AMOUNT_TEXT, _FRACTION_TEXT = _decimal_text(4), _decimal_text(6)


def _amount_field(help_text: str):
    return serializers.DecimalField(
        max_digits=20, decimal_places=4, allow_null=True, read_only=True, help_text=help_text
    )


def _fraction_field(help_text: str):
    return serializers.DecimalField(
        max_digits=18, decimal_places=6, allow_null=True, read_only=True, help_text=help_text
    )


_RATE_HELP = (
    "The change relative to the earlier value, as a fraction (0.125 means +12.5 %); null when the earlier value "
    "is 0 or missing or of the other sign. For a metric in %, `…_change` is in percentage points."
)
COMPARISON_FIELDS = {
    "previous_period_actual": _amount_field(
        "环比: the value of the previous period of this kind as of its day with as many days elapsed (clamped to its "
        "length; `previous_period_as_of`); null when nothing was known then."
    ),
    "previous_period_change": _amount_field("环比: actual − previous_period_actual."),
    "previous_period_change_rate": _fraction_field(_RATE_HELP),
    "last_year_actual": _amount_field(
        "同比: the value of the same period last year as of the same day (`last_year_as_of`; a week: 52 weeks earlier)."
    ),
    "last_year_change": _amount_field("同比: actual − last_year_actual."),
    "last_year_change_rate": _fraction_field(_RATE_HELP),
    "year_start_actual": _amount_field(
        "较年初: the value at the start of the year: a balance on the last day of last year; 0 for a flow or a net "
        "change (so the change is the year to date); the balance the year began with for a daily average; a rate "
        "from its numerator and denominator then (null for a rate of flows)."
    ),
    "year_to_date_actual": _amount_field("The year-to-date value of the metric, whatever the scorecard's period."),
    "year_start_change": _amount_field("较年初: year_to_date_actual − year_start_actual."),
    "year_start_change_rate": _fraction_field(_RATE_HELP),
    "forecast_method": serializers.ChoiceField(
        choices=[("seasonal", "seasonal"), ("run_rate", "run_rate")],
        allow_null=True,
        read_only=True,
        help_text="How the period's end is projected: seasonal (actual × last year's full-period value / last "
        "year's value to the same day) or run_rate (actual / elapsed days × days in the period); null for a level "
        "metric (last, average, ratio) or a day's scorecard.",
    ),
    "projected": _amount_field("The value projected for the end of the period (see forecast_method)."),
    "projected_attainment": _fraction_field("预计完成率: the projected value's attainment of the target (a fraction)."),
    "forecast_outcome": serializers.ChoiceField(
        choices=[("reached", "reached"), ("on_track", "on_track"), ("miss", "miss")],
        allow_null=True,
        read_only=True,
        help_text="reached: the target is already met; on_track: it is met on target_reached_on at this pace (a "
        "lower-is-better allowance: the projection stays within it); miss: not within this period (本期内无法完成); "
        "null without a target or a forecast.",
    ),
    "target_reached_on": serializers.DateField(
        allow_null=True,
        read_only=True,
        help_text="on_track: the day the target is reached at the pace the projection implies for the remaining "
        "days; null otherwise.",
    ),
}


def _comparison_data(compared) -> dict:
    """The COMPARISON_FIELDS of a line's `compared` (None: every one null), in their order."""
    if compared is None:
        return dict.fromkeys(COMPARISON_FIELDS)
    previous, last_year, year_start, forecast = (
        compared.previous, compared.last_year, compared.year_start, compared.forecast
    )  # fmt: skip
    data = {
        "previous_period_actual": _AMOUNT_TEXT(previous.earlier),
        "previous_period_change": _AMOUNT_TEXT(previous.change),
        "previous_period_change_rate": _FRACTION_TEXT(previous.rate),
        "last_year_actual": _AMOUNT_TEXT(last_year.earlier),
        "last_year_change": _AMOUNT_TEXT(last_year.change),
        "last_year_change_rate": _FRACTION_TEXT(last_year.rate),
        "year_start_actual": _AMOUNT_TEXT(year_start.earlier),
        "year_to_date_actual": _AMOUNT_TEXT(year_start.current),
        "year_start_change": _AMOUNT_TEXT(year_start.change),
        "year_start_change_rate": _FRACTION_TEXT(year_start.rate),
    }
    if forecast is None:
        data.update(_NO_FORECAST)
    else:
        data["forecast_method"] = forecast.method
        data["projected"] = _AMOUNT_TEXT(forecast.projected)
        data["projected_attainment"] = _FRACTION_TEXT(forecast.attainment)
        data["forecast_outcome"] = forecast.outcome
        data["target_reached_on"] = forecast.reached_on.isoformat() if forecast.reached_on else None
    return data


_NO_FORECAST = dict.fromkeys(["forecast_method", "projected", "projected_attainment", "forecast_outcome",
                              "target_reached_on"])  # fmt: skip


class ScorecardLineSerializer(serializers.ModelSerializer):
    """One metric of a scorecard. Amounts are in the metric's unit; attainment, time progress and
    pace-adjusted attainment are fractions (1.38 means 138 %). Decimals are strings, as DRF writes them.
    `kind` to `allowed_value` are the rule of the template line that scores the metric (DOMAIN.md §5)."""

    previous_period_actual = COMPARISON_FIELDS["previous_period_actual"]
    previous_period_change = COMPARISON_FIELDS["previous_period_change"]
    previous_period_change_rate = COMPARISON_FIELDS["previous_period_change_rate"]
    last_year_actual = COMPARISON_FIELDS["last_year_actual"]
    last_year_change = COMPARISON_FIELDS["last_year_change"]
    last_year_change_rate = COMPARISON_FIELDS["last_year_change_rate"]
    year_start_actual = COMPARISON_FIELDS["year_start_actual"]
    year_to_date_actual = COMPARISON_FIELDS["year_to_date_actual"]
    year_start_change = COMPARISON_FIELDS["year_start_change"]
    year_start_change_rate = COMPARISON_FIELDS["year_start_change_rate"]
    forecast_method = COMPARISON_FIELDS["forecast_method"]
    projected = COMPARISON_FIELDS["projected"]
    projected_attainment = COMPARISON_FIELDS["projected_attainment"]
    forecast_outcome = COMPARISON_FIELDS["forecast_outcome"]
    target_reached_on = COMPARISON_FIELDS["target_reached_on"]

    metric = serializers.SlugRelatedField(slug_field="code", read_only=True, help_text="Metric code.")
    status = serializers.ChoiceField(
        choices=Status.choices,
        allow_null=True,
        read_only=True,
        help_text="green (on pace, ≥ 1.0), amber (≥ 0.9), red (behind); null without a target.",
    )
    kind = serializers.ChoiceField(
        choices=LineKind.choices,
        allow_null=True,
        read_only=True,
        help_text="How the scorecard's template scores the metric: weighted (weight × clamp(pace_attainment, "
        "floor, cap)), points (actual × points_per_unit, up to max_points) or veto (above allowed_value the "
        "total is 0); null when the template does not score it.",
    )
    weight = _rule_field("weight", "A weighted line's weight (a template's weights sum to 100); null otherwise.")
    cap = _rule_field("cap", "A weighted line's cap on pace_attainment (a fraction: 1.2 is 120 %); null otherwise.")
    floor = _rule_field("floor", "A weighted line's floor under pace_attainment (a fraction); null otherwise.")
    points_per_unit = _rule_field(
        "points_per_unit", "A points line's points per unit of the metric (negative: a deduction); null otherwise."
    )
    max_points = _rule_field("max_points", "A points line's maximum; null without one or for other kinds.")
    allowed_value = _rule_field(
        "allowed_value", "A veto line's allowed value: above it the scorecard is vetoed; null otherwise."
    )

    class Meta:
        model = ScorecardLine
        fields = [*LINE_FIELDS, *RULE_FIELDS, *COMPARISON_FIELDS]
        read_only_fields = fields
        extra_kwargs = {
            "score": {
                "help_text": "The line's score on the scorecard template; null when no template scores it, and "
                "on a day scorecard none of whose weighted lines has a target of the day."
            },
            "target_from_children": {
                "help_text": "True when `target` is the sum of the targets of the units under this one (a unit "
                "above outlets without a target of its own, for a sum or change metric)."
            },
            "time_basis": {
                "help_text": "What `time_progress` and `required_per_day` count: calendar days, or business days "
                "on the bank's calendar (holidays and make-up working days) for a metric counted so (calendar "
                "when its period has no business day)."
            },
        }

    def to_representation(self, line: ScorecardLine) -> dict:
        """The ModelSerializer's answer (tests/kpi/test_api_scorecards.py checks every field), written
        directly by line_data: field-by-field serializing of the lines was most of the cost of a scorecard
        page."""
        return line_data(line)


_LINE_TEXT = tuple((name, None if name in _LINE_PLAIN else _LINE_DECIMALS[name]) for name in LINE_FIELDS[1:])
_RULE_TEXT = tuple((name, _RULE_DECIMALS[name], name in _WEIGHTED_ONLY) for name in RULE_FIELDS[1:])
_NO_RULE = dict.fromkeys(RULE_FIELDS)
_NO_COMPARISON = dict.fromkeys(COMPARISON_FIELDS)


def line_data(line) -> dict:
    """A scorecard line as ScorecardLineSerializer documents it. `line` is a ScorecardLine or a row of
    kpi.selectors.scorecards.page_lines; its rule comes from `line.scoring`
    (kpi.selectors.score_explanation.explanation_for) and its comparisons from `line.compared`
    (kpi.selectors.comparisons.lines_compare), both set by the view."""
    data = {"metric": line.metric.code}
    for name, text in _LINE_TEXT:
        value = getattr(line, name)
        data[name] = value if text is None else text(value)
    scoring = getattr(line, "scoring", None)
    rule = scoring.rule if scoring is not None else None
    if rule is None:
        data.update(_NO_RULE)
    else:
        kind = data["kind"] = rule.kind
        weighted = kind == LineKind.WEIGHTED
        for name, text, weighted_only in _RULE_TEXT:
            data[name] = text(getattr(rule, name)) if weighted or not weighted_only else None
    compared = getattr(line, "compared", None)
    data.update(_NO_COMPARISON if compared is None else _comparison_data(compared))
    return data


class ScorecardSerializer(serializers.ModelSerializer):
    """A unit's scorecard (`staff` null) or a staff member's (`unit` null) as of a business day, for
    the period of the given kind that contains that day."""

    unit = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    staff = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    period = serializers.ChoiceField(choices=[kind.value for kind in PERIOD_KINDS], read_only=True)
    lines = ScorecardLineSerializer(many=True, read_only=True)
    template_code = serializers.SerializerMethodField(
        help_text="The code of the scorecard template (考核方案) that scored it; null without one."
    )
    template_version = serializers.SerializerMethodField(
        help_text="The template version that scored it: the date it took effect (templates are versioned by "
        "effective date); null without a template."
    )
    full_score = serializers.SerializerMethodField(
        help_text="满分: the total exactly on pace on every line, the sum of the template's weights (100); for a "
        "template of points lines only, the sum of their maxima. Null without a template."
    )
    max_score = serializers.SerializerMethodField(
        help_text="The most the template can give: full_score plus weighted lines above pace up to their cap "
        "and, beside weighted lines, points lines up to their maxima. Null without a template, or when a points "
        "line that adds points has no maximum."
    )
    previous_period_as_of = serializers.SerializerMethodField(
        help_text="The day the lines' previous_period_actual (环比) is taken as of."
    )
    last_year_as_of = serializers.SerializerMethodField(
        help_text="The day the lines' last_year_actual (同比) is taken as of."
    )

    class Meta:
        model = Scorecard
        fields = [
            "unit",
            "staff",
            "date",
            "period",
            "period_start",
            "period_end",
            "total_score",
            "vetoed",
            "veto_reason",
            "rank",
            "rank_of",
            "lines",
            "template_code",
            "template_version",
            "full_score",
            "max_score",
            "previous_period_as_of",
            "last_year_as_of",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "total_score": {
                "help_text": "Σ line scores, 0 when vetoed; null when no template scores it, and on a day "
                "scorecard none of whose weighted lines has a target of the day (a day is scored on daily "
                "targets only)."
            },
            "vetoed": {"help_text": "A veto line (一票否决) fired: the score is 0."},
            "veto_reason": {"help_text": "Why it was vetoed; empty otherwise."},
            "rank": {
                "help_text": "Competition rank (1, 2, 2, 4) by total score: an outlet among the outlets of the same "
                "template and parent unit, a staff member inside their outlet; null when not ranked."
            },
            "rank_of": {"help_text": "How many were ranked with it; null when not ranked."},
        }

    # The explanation is set on each scorecard by the view (kpi.selectors.score_explanation.explanation_for).

    @staticmethod
    def _template(card: Scorecard):
        explanation = getattr(card, "explanation", None)
        return explanation.template if explanation is not None else None

    @staticmethod
    def _scale(card: Scorecard):
        explanation = getattr(card, "explanation", None)
        return explanation.scale if explanation is not None else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_template_code(self, card: Scorecard) -> str | None:
        template = self._template(card)
        return template.code if template is not None else None

    @extend_schema_field(serializers.DateField(allow_null=True))
    def get_template_version(self, card: Scorecard) -> str | None:
        template = self._template(card)
        return template.effective_from.isoformat() if template is not None else None

    @extend_schema_field(serializers.DecimalField(max_digits=10, decimal_places=4, allow_null=True))
    def get_full_score(self, card: Scorecard) -> str | None:
        scale = self._scale(card)
        return _SCORE_TEXT(scale.full) if scale is not None else None

    @extend_schema_field(serializers.DecimalField(max_digits=10, decimal_places=4, allow_null=True))
    def get_max_score(self, card: Scorecard) -> str | None:
        scale = self._scale(card)
        return _SCORE_TEXT(scale.maximum) if scale is not None else None

    @extend_schema_field(serializers.DateField())
    def get_previous_period_as_of(self, scorecard: Scorecard) -> str:
        return previous_period_day(scorecard.period, scorecard.date).isoformat()

    @extend_schema_field(serializers.DateField())
    def get_last_year_as_of(self, scorecard: Scorecard) -> str:
        return same_day_last_year(scorecard.period, scorecard.date).isoformat()


_SCORE_TEXT = _decimal_text(Scorecard._meta.get_field("total_score").decimal_places)

# The scorecard list's fields (ScorecardSerializer) and the columns of a line in its compact form
# (`lines=compact`: each line a row, in the order of the page's `line_columns`).
SCORECARD_FIELDS = tuple(ScorecardSerializer.Meta.fields)
LINE_COLUMNS = (*LINE_FIELDS, *RULE_FIELDS, *COMPARISON_FIELDS)


def scorecard_data(card: Scorecard, lines, *, fields=SCORECARD_FIELDS, compact: bool = False) -> dict:
    """A scorecard as ScorecardSerializer writes it, byte for byte once rendered
    (tests/kpi/test_api_scorecards.py compares the two), built directly: the serializer's field machinery
    over a page of 100 scorecards and their lines was most of the page's time. `lines`: its lines (rows of
    kpi.selectors.scorecards.page_lines); `fields`: the fields to write, in this order (a subset of
    SCORECARD_FIELDS); `compact`: each line a list in the order of LINE_COLUMNS."""
    explanation = getattr(card, "explanation", None)
    template = explanation.template if explanation is not None else None
    scale = explanation.scale if explanation is not None else None
    data = {}
    for name in fields:
        if name == "unit":
            data[name] = card.unit.code if card.unit_id is not None else None
        elif name == "staff":
            data[name] = card.staff.code if card.staff_id is not None else None
        elif name in ("date", "period_start", "period_end"):
            data[name] = getattr(card, name).isoformat()
        elif name == "total_score":
            data[name] = _SCORE_TEXT(card.total_score)
        elif name == "lines":
            if compact:
                data[name] = [list(line_data(line).values()) for line in lines]
            else:
                data[name] = [line_data(line) for line in lines]
        elif name == "template_code":
            data[name] = template.code if template is not None else None
        elif name == "template_version":
            data[name] = template.effective_from.isoformat() if template is not None else None
        elif name == "full_score":
            data[name] = _SCORE_TEXT(scale.full) if scale is not None else None
        elif name == "max_score":
            data[name] = _SCORE_TEXT(scale.maximum) if scale is not None else None
        elif name == "previous_period_as_of":
            data[name] = previous_period_day(card.period, card.date).isoformat()
        elif name == "last_year_as_of":
            data[name] = same_day_last_year(card.period, card.date).isoformat()
        else:  # period, vetoed, veto_reason, rank, rank_of: as stored
            data[name] = getattr(card, name)
    return data


class ScorecardListSerializer(serializers.Serializer):
    """The answer: the scorecards found (none when the day is not rolled up yet, otherwise one)."""

    results = ScorecardSerializer(many=True, read_only=True)


class ScorecardQuerySerializer(serializers.Serializer):
    """The query string of GET /api/v1/scorecards/."""

    unit = serializers.CharField(required=False, allow_blank=False)
    staff = serializers.CharField(required=False, allow_blank=False)
    date = DateField(
        required=False, error_messages={"invalid": "Write the business date as YYYY-MM-DD, e.g. 2026-11-24."}
    )
    period = serializers.ChoiceField(
        choices=[kind.value for kind in PERIOD_KINDS],
        required=False,
        default="month",
        error_messages={"invalid_choice": "“{input}” is not a period kind; use day, week, month, quarter or year."},
    )

    def validate(self, attrs: dict) -> dict:
        if bool(attrs.get("unit")) == bool(attrs.get("staff")):
            message = "Give either unit=CODE (an org unit) or staff=CODE (a staff member), not both, not neither."
            raise serializers.ValidationError({"unit": message})
        return attrs


# -- rankings (GET /api/v1/rankings/) ----------------------------------------------------------------


class RankingQuerySerializer(serializers.Serializer):
    """The query string of GET /api/v1/rankings/."""

    group = serializers.CharField(
        allow_blank=False,
        error_messages={
            "required": "Give group=CODE: a peer group code, or a unit code whose outlets are ranked together.",
            "blank": "Give group=CODE: a peer group code, or a unit code whose outlets are ranked together.",
        },
    )
    date = DateField(
        required=False, error_messages={"invalid": "Write the business date as YYYY-MM-DD, e.g. 2026-11-24."}
    )
    period = serializers.ChoiceField(
        choices=[kind.value for kind in PERIOD_KINDS],
        required=False,
        default="month",
        error_messages={"invalid_choice": "“{input}” is not a period kind; use day, week, month, quarter or year."},
    )


# The fields are the API's columns of the ranking (kpi.tables.RANKING_API), declared once with the
# bulletin's and the overview's downloads and the overview's page.
class RankingRowSerializer(RANKING_API.serializer()):
    """One outlet of the ranked set (kpi.selectors.bulletin.BulletinRow)."""


class FreshnessSerializer(serializers.Serializer):
    """Freshness before ranking (kpi.selectors.freshness.Freshness) of the ranked set for the day."""

    expected = serializers.IntegerField(help_text="Outlets of the set expected to report the day.")
    reported = serializers.IntegerField(help_text="How many of them have (a fact dated that day).")
    missing = serializers.SerializerMethodField(help_text="Codes of the expected outlets that have not, in tree order.")
    complete = serializers.BooleanField(help_text="Every expected outlet has reported.")
    due_at = serializers.DateTimeField(help_text="HQ's cut-off for the day's facts (the next morning).")
    final = serializers.BooleanField(
        help_text="The ranking is final: complete, or the cut-off has passed. False: it waits for the missing "
        "outlets and may still change."
    )

    def get_missing(self, freshness) -> list[str]:
        return [outlet.code for outlet in freshness.missing]


class RankingListSerializer(serializers.Serializer):
    date = serializers.DateField(allow_null=True, help_text="The business day ranked; null before the first rollup.")
    period = serializers.ChoiceField(choices=[kind.value for kind in PERIOD_KINDS])
    group = serializers.CharField(help_text="The peer group or unit code asked for.")
    freshness = FreshnessSerializer(
        allow_null=True,
        help_text="Whether every outlet expected that day has reported; null when the day has not been rolled up.",
    )
    results = RankingRowSerializer(
        many=True,
        help_text="Best first; then the outlets with no data for the day (`no_data`), then those without a score; "
        "both unranked.",
    )


# -- facts (POST /api/v1/facts/) ---------------------------------------------------------------------
# These describe the shapes for the OpenAPI schema. The view checks the body's structure itself and
# kpi.services.facts.facts_ingest checks the values, so a 50,000-fact batch is not validated field by
# field through DRF, and the API answers with the same messages as the CSV import.


class FactInSerializer(serializers.Serializer):
    """One daily value: an outlet's own fact (`staff` null) or a staff member's fact at an outlet."""

    date = serializers.DateField(
        help_text="Business date, YYYY-MM-DD: from the outlet's opening to its closing day, up to today (plus "
        "FACTS_FUTURE_DAYS), not in a closed month (月结)."
    )
    unit = serializers.CharField(help_text="Outlet code. Units above outlets take no facts: they add up their outlets.")
    staff = serializers.CharField(
        required=False, allow_null=True, help_text="Staff member code, or null for the outlet's own fact."
    )
    metric = serializers.CharField(help_text="Code of a base metric (aggregation sum or last).")
    value = NumberField(
        max_digits=20,
        decimal_places=4,
        help_text='A string such as "123.45" or "1,234.56" (a JSON number is accepted too): ASCII (or full-width) '
        "digits, an optional leading minus, thousands commas and a decimal point; no exponent (1E3), no NaN. At "
        "most 4 decimal places; whole for counts (户 笔 人 件). Negative only for 万元 flows (reversals).",
    )
    partner = serializers.CharField(
        required=False,
        allow_null=True,
        help_text="Optional (分润): the staff code of a colleague at the same outlet who shares this staff "
        "member's sale (a sum metric). The partner's share is HQ's standing rule for the two people's posts "
        "that day (with the outlet's adjustment); a pair no rule covers is refused. A fact already shared "
        "with the same partner keeps its share; null or absent leaves the fact's split as it is.",
    )


class FactBatchSerializer(serializers.Serializer):
    facts = FactInSerializer(many=True, help_text="At most 50,000 facts per request.")
    label = serializers.CharField(
        required=False, max_length=200, help_text="Optional: what this batch is, e.g. the extract's file name."
    )


class FactBatchResultSerializer(serializers.Serializer):
    batch = serializers.IntegerField(help_text="Id of the recorded ingest batch.")
    created = serializers.IntegerField(help_text="Facts that did not exist yet.")
    updated = serializers.IntegerField(help_text="Facts whose value (or credit split) changed.")
    unchanged = serializers.IntegerField(help_text="Facts sent again with the same value.")


# -- PK contests (GET /api/v1/contests/, /api/v1/contests/<id>/) ------------------------------------

LEADS = ["a", "b", "tie"]


# A finished pair is won by a or b, or drawn: its own word (and its own enum in the schema).
WINNERS = ["a", "b", "draw"]


class ContestPairSerializer(serializers.ModelSerializer):
    outlet_a = serializers.SlugRelatedField(slug_field="code", read_only=True, help_text="Outlet code.")
    outlet_b = serializers.SlugRelatedField(slug_field="code", read_only=True, help_text="Outlet code.")

    class Meta:
        model = ContestPair
        fields = ["outlet_a", "outlet_b"]
        read_only_fields = fields


class ContestSerializer(serializers.ModelSerializer):
    """A PK contest (两两一组): outlets of `unit`'s subtree paired head to head over a calendar period, on a
    scorecard template (`template`, overall by total score) or on chosen `metrics` (overall by the number
    of metrics led)."""

    unit = serializers.SlugRelatedField(slug_field="code", read_only=True, help_text="The organising unit.")
    period = serializers.CharField(read_only=True, help_text="The calendar period: 2026-W48, 2026-11, 2026-Q4, 2026.")
    template = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True, help_text="Scorecard template code, or null."
    )
    metrics = serializers.SlugRelatedField(
        slug_field="code", many=True, read_only=True, help_text="Metric codes of a metrics contest (else empty)."
    )
    state = serializers.ChoiceField(choices=["upcoming", "running", "ended"], read_only=True)
    pairs = ContestPairSerializer(many=True, read_only=True)

    class Meta:
        model = Contest
        fields = [
            "id", "name", "unit", "period", "period_start", "period_end", "template", "metrics", "judged", "state",
            "pairs",
        ]  # fmt: skip
        read_only_fields = fields


class ContestListSerializer(serializers.Serializer):
    results = ContestSerializer(many=True, read_only=True)


class ContestSideSerializer(serializers.Serializer):
    """One outlet's figures on one metric (its scorecard line for the contest's period, to date)."""

    actual = serializers.DecimalField(max_digits=20, decimal_places=4, allow_null=True)
    target = serializers.DecimalField(max_digits=20, decimal_places=4, allow_null=True)
    attainment = serializers.DecimalField(max_digits=18, decimal_places=6, allow_null=True)
    pace_attainment = serializers.DecimalField(max_digits=18, decimal_places=6, allow_null=True)
    status = serializers.ChoiceField(choices=Status.choices, allow_null=True)
    score = serializers.DecimalField(
        max_digits=10, decimal_places=4, allow_null=True, help_text="The template line's score (template contests)."
    )


class ContestMetricSerializer(serializers.Serializer):
    metric = serializers.CharField(source="metric.code")
    direction = serializers.CharField(source="metric.direction", help_text="higher or lower (is better).")
    basis = serializers.ChoiceField(
        choices=["pace", "actual"],
        allow_null=True,
        help_text="pace: compared by pace-adjusted attainment (both sides have a target); actual: by the actual; "
        "null: a side has no figure.",
    )
    leader = serializers.ChoiceField(choices=LEADS, allow_null=True, help_text="a, b, tie, or null.")
    a = ContestSideSerializer(allow_null=True)
    b = ContestSideSerializer(allow_null=True)


class ContestPairStandingSerializer(serializers.Serializer):
    outlet_a = serializers.CharField(source="outlet_a.code")
    outlet_b = serializers.CharField(source="outlet_b.code")
    leader = serializers.ChoiceField(choices=LEADS, allow_null=True, help_text="Overall: a, b, tie, or null.")
    winner = serializers.SerializerMethodField(
        help_text="a, b or draw once the contest is over and its last day rolled up; else null."
    )
    score_a = serializers.DecimalField(max_digits=12, decimal_places=4, allow_null=True)
    score_b = serializers.DecimalField(max_digits=12, decimal_places=4, allow_null=True)
    vetoed_a = serializers.BooleanField()
    vetoed_b = serializers.BooleanField()
    metrics_led_a = serializers.IntegerField(source="led_a")
    metrics_led_b = serializers.IntegerField(source="led_b")
    metrics = ContestMetricSerializer(many=True)

    @extend_schema_field(serializers.ChoiceField(choices=WINNERS, allow_null=True))
    def get_winner(self, standing) -> str | None:
        if standing.winner is None:
            return None
        return "draw" if standing.winner == "tie" else str(standing.winner)


class ContestStandingsSerializer(serializers.Serializer):
    """A contest with its pairs head to head as of `figures_date`."""

    id = serializers.IntegerField(source="contest.pk")
    name = serializers.CharField(source="contest.name")
    unit = serializers.CharField(source="contest.unit.code")
    period = serializers.CharField(source="period.code")
    period_start = serializers.DateField(source="contest.period_start")
    period_end = serializers.DateField(source="contest.period_end")
    template = serializers.CharField(source="contest.template.code", allow_null=True)
    metrics = serializers.SerializerMethodField()
    figures_date = serializers.DateField(allow_null=True, help_text="The rolled-up day the figures are of.")
    ended = serializers.BooleanField()
    final = serializers.BooleanField(help_text="Ended and its last day rolled up: `winner` is set.")
    judged = serializers.BooleanField(
        help_text="Scored by a panel (营销话术, 服务礼仪, 晨会 PK): `score_a`/`score_b` are the judged scores, shown "
        "once the judging has closed (after the last day); the sheets are at /api/v1/contests/{id}/sheets/."
    )
    judging_closed = serializers.BooleanField(help_text="A judged contest's scores are public (after its last day).")
    pairs = ContestPairStandingSerializer(many=True)

    def get_metrics(self, standings) -> list[str]:
        return [metric.code for metric in standings.metrics]
