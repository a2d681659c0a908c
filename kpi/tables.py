"""The tables of the KPI pages, declared once (lib.tables): each is downloaded as CSV or Excel from its
page (?export=csv|xlsx), and the ranking is also an overview page's table and the rows of
GET /api/v1/rankings/.

Figures stay in the metric's own unit (万元, never 亿元) and attainments stay fractions in every file, as in
the API (DOMAIN.md §4); text cells are defused by lib.exports. A row is what the selector hands the view;
where one row of a file is a pair of things (a scorecard line under its category, a metric of a contest
pair), the row is a dict of the two.
"""

from __future__ import annotations

from functools import partial

from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from kpi.models import Metric, Status
from kpi.templatetags.kpi_format import kpi_score
from lib.tables import BOOLEAN, DATE, DECIMAL, FRACTION, INTEGER, Column, Table

UNIT_OF_MEASURE = pgettext_lazy("unit of measure", "Unit")


def _status_label(status: str | None) -> str:
    return str(Status(status).label) if status else gettext("No target")


# -- the scorecard (kpi.views.scorecards): one row per line, {"category": …, "line": ScorecardLine} ----

SCORECARD = Table(
    Column("category", _("Category"), "category"),
    Column("metric_code", _("Metric code"), "line.metric.code"),
    Column("metric", _("Metric"), "line.metric.name"),
    Column("unit", UNIT_OF_MEASURE, "line.metric.unit"),
    Column("actual", _("Actual"), "line.actual", kind=DECIMAL),
    Column("target", _("Target"), "line.target", kind=DECIMAL),
    Column("attainment", _("Attainment"), "line.attainment", kind=FRACTION),
    Column("time_progress", _("Time progress"), "line.time_progress", kind=FRACTION),
    Column("pace_attainment", _("Pace-adjusted attainment"), "line.pace_attainment", kind=FRACTION),
    Column("status", _("Status"), lambda row: _status_label(row["line"].status)),
    Column("gap_to_pace", _("Gap to pace"), "line.gap_to_pace", kind=DECIMAL),
    Column("required_per_day", _("Required per remaining day"), "line.required_per_day", kind=DECIMAL),
    Column("time_basis", _("Time progress in"), lambda row: row["line"].get_time_basis_display()),
)

# The scorecard's download with the comparisons and the forecast of each line (issue 14; the line's
# `compared`, kpi.selectors.comparisons): the earlier value, the change and the relative change (a
# fraction) of 环比, 同比 and 较年初, then the forecast of the period's end.
SCORECARD_COMPARED = SCORECARD.plus(
    Column("previous_actual", _("Previous period: value then"), "line.compared.previous.earlier", kind=DECIMAL),
    Column("previous_change", _("Previous period: change"), "line.compared.previous.change", kind=DECIMAL),
    Column("previous_change_rate", _("Previous period: change rate"), "line.compared.previous.rate", kind=FRACTION),
    Column("last_year_actual", _("Same period last year: value then"), "line.compared.last_year.earlier", kind=DECIMAL),
    Column("last_year_change", _("Same period last year: change"), "line.compared.last_year.change", kind=DECIMAL),
    Column(
        "last_year_change_rate", _("Same period last year: change rate"), "line.compared.last_year.rate", kind=FRACTION
    ),
    Column("year_start_actual", _("Start of the year: value"), "line.compared.year_start.earlier", kind=DECIMAL),
    Column("year_to_date_actual", _("Year to date: value"), "line.compared.year_start.current", kind=DECIMAL),
    Column(
        "year_start_change", _("Since the start of the year: change"), "line.compared.year_start.change", kind=DECIMAL
    ),
    Column(
        "year_start_change_rate",
        _("Since the start of the year: change rate"),
        "line.compared.year_start.rate",
        kind=FRACTION,
    ),
    Column("projected", _("Projected at period end"), "line.compared.forecast.projected", kind=DECIMAL),
    Column("projected_attainment", _("Projected attainment"), "line.compared.forecast.attainment", kind=FRACTION),
    Column("target_reached_on", _("Target reached on"), "line.compared.forecast.reached_on", kind=DATE),
    Column("forecast_outcome", _("Forecast outcome"), "line.compared.forecast.outcome_label"),
    Column("forecast_method", _("Forecast basis"), "line.compared.forecast.method_label"),
    # The line's points, then the scorecard's total and ranks on every row (the page's 得分 and 排名), so a
    # file read on its own says what the page says; a row is {"category", "line", "card": the Scorecard}.
    Column("score", _("Line score"), "line.score", kind=DECIMAL, places=2),
    Column("total_score", _("Total score"), "card.total_score", kind=DECIMAL, places=2),
    Column("vetoed", _("Vetoed"), "card.vetoed", kind=BOOLEAN),
    Column("rank", _("Rank in the peer group"), "card.rank", kind=INTEGER),
    Column("rank_of", _("Ranked in the peer group"), "card.rank_of", kind=INTEGER),
    Column("network_rank", _("Network rank"), "card.network_rank", kind=INTEGER),
    Column("network_rank_of", _("Ranked in the network"), "card.network_rank_of", kind=INTEGER),
)


# -- a metric's history (kpi.views.history): one row per day, HistoryRow(day, point or None) ----------


def history_table(metric: Metric) -> Table:
    """A day without figures keeps its row, empty but for the day and the metric; the metric is named on
    every row, so exports pasted together still say what they are."""
    return Table(
        Column("day", _("Business date"), "day", kind=DATE),
        Column("metric", _("Metric"), lambda row: metric.name),
        Column("unit", UNIT_OF_MEASURE, lambda row: metric.unit),
        Column("actual", _("Actual"), "point.actual", kind=DECIMAL),
        Column("target", _("Target"), "point.target", kind=DECIMAL),
        Column("pace", _("Pace of the target"), "point.pace", kind=DECIMAL),
        Column("time_progress", _("Time progress"), "point.time_progress", kind=FRACTION),
        Column("attainment", _("Attainment"), "point.attainment", kind=FRACTION),
        Column("pace_attainment", _("Pace-adjusted attainment"), "point.pace_attainment", kind=FRACTION),
        Column("status", _("Status"), lambda row: _status_label(row.point.status) if row.point else None),
    )


# -- the ranking of outlets (kpi.selectors.bulletin.BulletinRow) --------------------------------------
# The daily bulletin's download, the overview's ranking (its page table and its download) and the
# rows of GET /api/v1/rankings/ (whose field names and help texts are the API's schema).


def _rank_html(row, context) -> str:
    if row.rank:
        return str(row.rank)
    if getattr(row, "no_data", False):
        return format_html('<span class="chip chip-none no-data">{}</span>', _("No data"))
    return format_html('<span aria-hidden="true">—</span><span class="visually-hidden">{}</span>', _("Not ranked"))


def _outlet_html(row, context) -> str:
    """The outlet's name links to its scorecard for the same period (`keep`: the page's query)."""
    url = reverse("kpi:unit_scorecard", args=[row.outlet.code])
    return format_html(
        '<a href="{}?{}">{}</a> <small class="muted">{}</small>',
        url,
        context.get("keep", ""),
        row.outlet.name,
        row.outlet.code,
    )


def _veto_html(row, context) -> str:
    if not row.vetoed:
        return ""
    return format_html('<span class="veto"><span aria-hidden="true">✕</span> {}</span>', _("Vetoed"))


RANK = Column(
    "rank",
    _("Rank"),
    kind=INTEGER,
    html=_rank_html,
    # An outlet that did not report the day (kpi.selectors.freshness) is "no data", not a blank rank.
    file=lambda row: str(_("No data")) if getattr(row, "no_data", False) else row.rank,
    api=partial(
        serializers.IntegerField,
        allow_null=True,
        help_text="Competition rank (1, 2, 2, 4) inside this set; null without a score.",
    ),
)
RANK_OF = Column(
    "rank_of",
    kind=INTEGER,
    api=partial(serializers.IntegerField, allow_null=True, help_text="How many outlets of the set are ranked."),
)
MOVEMENT = Column(
    "movement",
    _("Places gained"),
    kind=INTEGER,
    file=lambda row: str(_("new")) if row.is_new else row.movement,
    api=partial(
        serializers.IntegerField,
        allow_null=True,
        help_text="Places gained since the previous day inside the same set (negative: lost); null when it is "
        "not ranked now or was not ranked then.",
    ),
)
OUTLET_CODE = Column(
    "unit", _("Outlet code"), "outlet.code", api=partial(serializers.CharField, help_text="Outlet code.")
)
OUTLET = Column("outlet", _("Outlet"), "outlet.name", html=_outlet_html, row_header=True)
SCORE = Column(
    "total_score",
    _("Score"),
    kind=DECIMAL,
    places=2,
    html=lambda row, context: kpi_score(row.total_score),
    api=partial(
        serializers.DecimalField,
        max_digits=10,
        decimal_places=4,
        allow_null=True,
        help_text="The published score; 0 when vetoed.",
    ),
)
VETOED = Column(
    "vetoed",
    _("Vetoed"),
    kind=BOOLEAN,
    html=_veto_html,
    page_label=_("Veto"),
    api=partial(serializers.BooleanField, help_text="A veto line (一票否决) fired: the score is 0."),
)
VETO_REASON = Column(
    "veto_reason",
    _("Veto reason"),
    api=partial(serializers.CharField, help_text="Why it was vetoed; empty otherwise."),
)

# The overview's download, and (`only`) its page: the first outlets, linked to their scorecards.
RANKING = Table(RANK, OUTLET_CODE, OUTLET, SCORE, VETOED, VETO_REASON)
RANKING_PAGE = RANKING.only("rank", "outlet", "total_score", "vetoed")
NO_DATA = Column(
    "no_data",
    _("No data"),
    kind=BOOLEAN,
    api=partial(
        serializers.BooleanField,
        help_text="The outlet was expected to report the day and did not (no fact dated that day): it is not "
        "ranked (`rank` null) rather than ranked last on figures it never sent.",
    ),
)
RANKING_API = Table(OUTLET_CODE, SCORE, VETOED, VETO_REASON, RANK, RANK_OF, MOVEMENT, NO_DATA)
BULLETIN = Table(RANK, MOVEMENT, OUTLET_CODE, OUTLET, SCORE, VETOED, VETO_REASON)


def bulletin_table(rows) -> Table:
    """The daily bulletin's download: the ranking with the places gained, and one column per key metric
    (in the order they first appear) with its status."""
    metrics: dict[int, str] = {}
    for row in rows:
        for chip in row.chips:
            metrics.setdefault(chip.metric.pk, chip.metric.name)

    def status_of(metric_id: int):
        return lambda row: str({chip.metric.pk: chip.label for chip in row.chips}.get(metric_id, ""))

    return BULLETIN.plus(
        *(Column(f"metric-{metric_id}", name, status_of(metric_id)) for metric_id, name in metrics.items())
    )


# -- the staff of a unit with their scores (kpi.selectors.staff_ranking.StaffScoreRow) ---------------


def _staff_html(row, context) -> str:
    """The name (as the reader may see it) links to the staff member's scorecard for the same period."""
    url = reverse("kpi:staff_scorecard", args=[row.staff.code])
    return format_html(
        '<a href="{}?{}">{}</a> <small class="muted">{}</small>', url, context.get("keep", ""), row.name, row.staff.code
    )


def _staff_score_html(row, context) -> str:
    if not row.scored:
        return format_html('<span aria-hidden="true">—</span><span class="visually-hidden">{}</span>', _("No score"))
    if row.vetoed:
        return format_html(
            '{} <span class="veto"><span aria-hidden="true">✕</span> {}</span>', kpi_score(row.total_score), _("Vetoed")
        )
    return kpi_score(row.total_score)


def _staff_rank_html(row, context) -> str:
    if row.rank is None:
        return format_html('<span aria-hidden="true">—</span><span class="visually-hidden">{}</span>', _("Not ranked"))
    if row.ranked_at:
        return format_html(
            '{} / {} <small class="muted">{}</small>',
            row.rank,
            row.rank_of,
            _("ranked at %(outlet)s") % {"outlet": row.ranked_at},
        )
    return f"{row.rank} / {row.rank_of}"


STAFF_SCORES = Table(
    Column("staff", _("Staff member"), "name", html=_staff_html, row_header=True),
    Column("posts", _("Post"), lambda row: ", ".join(row.posts)),
    Column("total_score", _("Score"), kind=DECIMAL, places=2, html=_staff_score_html),
    Column("rank", _("Rank among the same post"), kind=INTEGER, html=_staff_rank_html),
)


# -- the overview's heatmap (kpi.selectors.overview.Overview) -----------------------------------------


def overview_table(metrics: list[Metric]) -> Table:
    """A unit per row; for each key metric its status and its pace-adjusted attainment (a fraction)."""
    columns = [Column("unit_code", _("Unit code"), "unit.code"), Column("unit", _("Unit"), "unit.name")]
    for index, metric in enumerate(metrics):
        columns += [
            Column(
                f"{metric.code}-status",
                _("%(metric)s: status") % {"metric": metric.name},
                lambda row, index=index: str(row.cells[index].label),
            ),
            Column(
                f"{metric.code}-pace",
                _("%(metric)s: pace-adjusted attainment") % {"metric": metric.name},
                lambda row, index=index: row.cells[index].pace_attainment,
                kind=FRACTION,
            ),
        ]
    return Table(*columns)


# -- PK contests (kpi.views.contests) ------------------------------------------------------------------

# The contest list: {"contest": Contest with pair_count, "period": Period, "status_label": …}
CONTESTS = Table(
    Column("contest", _("Contest"), "contest.name"),
    Column("unit", _("Organised by"), "contest.unit.code"),
    Column("period", _("Period"), "period.code"),
    Column("period_start", _("From"), "contest.period_start", kind=DATE),
    Column("period_end", _("To"), "contest.period_end", kind=DATE),
    Column("pairs", _("Pairs"), "contest.pair_count", kind=INTEGER),
    Column("state", _("State"), "status_label"),
)

_LEAD_WORDS = {"a": "A", "b": "B", "tie": _("tie"), "draw": _("draw")}


def _lead_word(lead) -> str:
    return _LEAD_WORDS.get(str(lead.value) if lead else "", "")


def _winner_word(winner) -> str:
    """Once the contest is over a tie is a draw."""
    return _LEAD_WORDS.get({"tie": "draw"}.get(winner.value, winner.value) if winner else "", "")


# The standings of a contest: one row per pair and metric, {"pair": PairStanding, "duel": MetricDuel};
# what the reader may not see of a pair outside their scope is empty here as on the page.
CONTEST_STANDINGS = Table(
    Column("outlet_a", _("Outlet A"), "pair.outlet_a.code"),
    Column("outlet_b", _("Outlet B"), "pair.outlet_b.code"),
    Column("metric", _("Metric"), "duel.metric.name"),
    Column("a_actual", _("A: actual"), "duel.a.actual", kind=DECIMAL),
    Column("a_target", _("A: target"), "duel.a.target", kind=DECIMAL),
    Column("a_pace_attainment", _("A: pace-adjusted attainment"), "duel.a.pace_attainment", kind=FRACTION),
    Column("b_actual", _("B: actual"), "duel.b.actual", kind=DECIMAL),
    Column("b_target", _("B: target"), "duel.b.target", kind=DECIMAL),
    Column("b_pace_attainment", _("B: pace-adjusted attainment"), "duel.b.pace_attainment", kind=FRACTION),
    Column("lead", _("Leads on the metric"), lambda row: _lead_word(row["duel"].leader)),
    Column("overall", _("Leads overall"), lambda row: _lead_word(row["pair"].leader)),
    Column("winner", _("Winner"), lambda row: _winner_word(row["pair"].winner)),
)


def _figure(index: int, name: str):
    """A figure of the before, now or benchmark line of a benchmark row (empty without the line)."""

    def value(row):
        line = row["row"].figures[index]
        return getattr(line, name) if line is not None else None

    return value


# A benchmark outlet's replicas: one row per replica and metric, {"replica": …, "row": BenchmarkRow}:
# actual and pace-adjusted attainment before the transformation, now, and the benchmark's now.
BENCHMARK = Table(
    Column("replica", _("Replica outlet"), "replica.outlet.code"),
    Column("metric", _("Metric"), "row.metric.name"),
    Column("before_actual", _("Before: actual"), _figure(0, "actual"), kind=DECIMAL),
    Column("before_pace", _("Before: pace-adjusted attainment"), _figure(0, "pace_attainment"), kind=FRACTION),
    Column("now_actual", _("Now: actual"), _figure(1, "actual"), kind=DECIMAL),
    Column("now_pace", _("Now: pace-adjusted attainment"), _figure(1, "pace_attainment"), kind=FRACTION),
    Column("benchmark_actual", _("Benchmark: actual"), _figure(2, "actual"), kind=DECIMAL),
    Column("benchmark_pace", _("Benchmark: pace-adjusted attainment"), _figure(2, "pace_attainment"), kind=FRACTION),
)
