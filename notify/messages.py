"""A day's summary (notify.selectors.DaySummary) written for each kind of channel, in the bank's language
(settings.LANGUAGE_CODE, zh-Hans), every figure by the number rule (kpi/templatetags/kpi_format.py).

- WeCom group robot: msgtype markdown, `content` at most WECOM_MARKDOWN_BYTES (4,096 bytes of UTF-8);
  its markdown has headings, bold, links, quotes and <font color="warning|info|comment">.
- DingTalk group robot: msgtype markdown with `title` (the chat list's preview) and `text`; kept to the
  same size, paragraphs apart (DingTalk joins single lines).
- E-mail: the title as the subject, the same lines as plain text.

A summary longer than the limit keeps its head, its red lines and its link and leaves out the last peer
groups, saying how many (the link shows them all).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kpi.templatetags.kpi_format import format_datetime, kpi_score
from lib.numbers import format_percent
from lib.periods import PERIOD_LABELS
from notify.models import ChannelKind, DeliveryKind
from notify.selectors import DaySummary, GroupRanking, RankedOutlet

WECOM_MARKDOWN_BYTES = 4096
# DingTalk's robots take more; a message that fits WeCom's limit reads well in a chat either way.
DINGTALK_MARKDOWN_BYTES = 4096


@dataclass(frozen=True)
class Block:
    """Lines that stay together: the head, one peer group, the red lines, the link."""

    lines: list[str]
    droppable: bool = False


@dataclass(frozen=True)
class Message:
    title: str
    blocks: list[Block] = field(default_factory=list)

    def markdown(self, *, kind: str) -> str:
        limit = WECOM_MARKDOWN_BYTES if kind == ChannelKind.WECOM else DINGTALK_MARKDOWN_BYTES
        # WeCom breaks a line at each newline; DingTalk needs paragraphs to keep lines apart.
        joiner = "\n" if kind == ChannelKind.WECOM else "\n\n"
        return _fit(self.blocks, joiner=joiner, limit=limit, render=lambda line: _for_kind(line, kind))

    def plain_text(self) -> str:
        return "\n".join(_plain(line) for block in self.blocks for line in block.lines) + "\n"


def _for_kind(line: str, kind: str) -> str:
    """WeCom colours its warnings; DingTalk writes them as they are."""
    if kind == ChannelKind.WECOM:
        return line.replace("[!", '<font color="warning">').replace("!]", "</font>")
    return line.replace("[!", "").replace("!]", "")


def _plain(line: str) -> str:
    line = line.replace("[!", "").replace("!]", "").replace("**", "")
    line = line.lstrip("#").lstrip()
    if line.startswith("[") and "](" in line and line.endswith(")"):
        text, url = line[1:-1].split("](", 1)
        return f"{text}: {url}"
    return line


def _fit(blocks: list[Block], *, joiner: str, limit: int, render) -> str:
    """The blocks written out, leaving out droppable blocks from the end until the text fits `limit` bytes."""
    kept = list(blocks)
    left_out = 0
    while True:
        lines = [render(line) for block in kept for line in block.lines]
        if left_out:
            note = ngettext(
                "… %(count)d more peer group: see the whole bulletin.",
                "… %(count)d more peer groups: see the whole bulletin.",
                left_out,
            ) % {"count": left_out}
            lines.insert(len(lines) - 1, note)  # before the link
        text = joiner.join(lines)
        droppable = [index for index, block in enumerate(kept) if block.droppable]
        if len(text.encode()) <= limit or not droppable:
            return text if len(text.encode()) <= limit else _cut(text, limit)
        del kept[droppable[-1]]
        left_out += 1


def _cut(text: str, limit: int) -> str:
    """The last resort (a head and red lines alone over the limit): whole characters up to `limit` bytes."""
    return text.encode()[:limit].decode(errors="ignore")


def _link(text: str, url: str) -> str:
    return f"[{text}]({url})"


def _list_separator() -> str:
    # Translators: between the outlets of a ranking line ("1 天河路网点 110.00；2 …").
    return _("; ")


def _names(outlets) -> str:
    # Translators: between outlet names in a list ("石牌网点、体育西网点").
    return _(", ").join(outlet.name for outlet in outlets)


def _outlets(entries: list[RankedOutlet]) -> str:
    parts = []
    for entry in entries:
        veto = _("(vetoed)") if entry.vetoed else ""
        parts.append(f"{entry.rank} {entry.outlet.name} {kpi_score(entry.score)}{veto}")
    return _list_separator().join(parts)


def _group_block(group: GroupRanking) -> Block:
    lines = [
        "#### "
        + ngettext(
            "%(group)s (%(count)d outlet ranked)",
            "%(group)s (%(count)d outlets ranked)",
            group.ranked,
        )
        % {"group": group.group.name, "count": group.ranked}
    ]
    if not group.top:
        lines.append(_("No outlet ranked yet."))
    elif group.bottom:
        lines.append(_("Top %(count)d: %(outlets)s") % {"count": len(group.top), "outlets": _outlets(group.top)})
        lines.append(
            _("Bottom %(count)d: %(outlets)s") % {"count": len(group.bottom), "outlets": _outlets(group.bottom)}
        )
    else:
        lines.append(_("Ranking: %(outlets)s") % {"outlets": _outlets(group.top)})
    if group.no_data:
        lines.append("[!" + _("No data (not ranked): %(outlets)s") % {"outlets": _names(group.no_data)} + "!]")
    return Block(lines, droppable=True)


def _freshness_line(summary: DaySummary) -> str | None:
    freshness = summary.freshness
    if freshness.missing:
        names = _names(freshness.missing)
        return (
            "[!"
            + ngettext(
                "%(count)d outlet had not reported by the cut-off (%(due)s): shown as no data, not ranked: "
                "%(outlets)s.",
                "%(count)d outlets had not reported by the cut-off (%(due)s): shown as no data, not ranked: "
                "%(outlets)s.",
                len(freshness.missing),
            )
            % {"count": len(freshness.missing), "due": format_datetime(freshness.due_at), "outlets": names}
            + "!]"
        )
    if freshness.expected:
        return ngettext(
            "The %(count)d outlet expected has reported.",
            "All %(count)d outlets expected have reported.",
            freshness.expected,
        ) % {"count": freshness.expected}
    return None


def _red_lines_block(summary: DaySummary) -> Block:
    lines = ["#### " + _("Red lines of %(unit)s") % {"unit": summary.unit.name}]
    if not summary.red_lines:
        lines.append(_("No metric is in the red."))
    for line in summary.red_lines:
        lines.append(
            "[!"
            + _("%(metric)s: attainment %(attainment)s, pace %(pace)s (time progress %(progress)s)")
            % {
                "metric": line.metric.name,
                "attainment": format_percent(line.attainment),
                "pace": format_percent(line.pace_attainment),
                "progress": format_percent(line.time_progress),
            }
            + "!]"
        )
    return Block(lines)


def _section_block(section) -> Block:
    """A section another app adds beside the ranking (kpi.bulletin_sections: a campaign's top outlets)."""
    lines = [f"#### {section.title}", section.subtitle]
    lines.append(_list_separator().join(f"{row.rank} {row.name} {kpi_score(row.score)}" for row in section.rows))
    if section.link:
        lines.append(_link(_("Open the whole leaderboard"), f"{settings.SITE_URL}{section.link}"))
    return Block(lines)


def summary_message(summary: DaySummary, *, kind: str = DeliveryKind.DAILY) -> Message:
    """The day's message; a correction (更正) says so in its title and first line."""
    with translation.override(settings.LANGUAGE_CODE):
        title = _("Daily bulletin · %(unit)s · %(day)s") % {
            "unit": summary.unit.name,
            "day": summary.day.isoformat(),
        }
        if kind == DeliveryKind.CORRECTION:
            title = _("[Correction] %(title)s") % {"title": title}
        head = [
            f"### {title}",
            _("%(period)s to date (%(code)s), business date %(day)s")
            % {"period": PERIOD_LABELS[summary.period], "code": summary.period_code, "day": summary.day.isoformat()},
        ]
        if kind == DeliveryKind.CORRECTION:
            head.append(
                "[!"
                + _(
                    "The figures of %(day)s changed after the summary was sent (a late report or a correction): "
                    "this replaces it."
                )
                % {"day": summary.day.isoformat()}
                + "!]"
            )
        freshness = _freshness_line(summary)
        if freshness:
            head.append(freshness)
        blocks = [Block(head)]
        blocks += [_group_block(group) for group in summary.groups]
        if not summary.groups:
            blocks.append(Block([_("No peer group to rank under this unit.")]))
        blocks += [_section_block(section) for section in summary.sections]
        blocks.append(_red_lines_block(summary))
        blocks.append(Block([_link(_("Open the whole bulletin"), summary.link)]))
        return Message(title=title, blocks=blocks)


def test_message(*, channel_name: str, link: str, now: datetime.datetime) -> Message:
    """What the admin's "send a test message" sends: that the channel reaches its chat, and from where."""
    with translation.override(settings.LANGUAGE_CODE):
        title = _("Test message · %(channel)s") % {"channel": channel_name}
        return Message(
            title=title,
            blocks=[
                Block(
                    [
                        f"### {title}",
                        _("BankOps reaches this chat (%(now)s). The daily bulletin will be pushed here.")
                        % {"now": format_datetime(now)},
                        _link(_("Open the bulletin"), link),
                    ]
                )
            ],
        )
