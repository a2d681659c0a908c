"""Factories of the checklists (issue 19): the lobby patrol (大堂巡检记录表) and the internal-control
checklist (内控检查表) as the seeds word them."""

from __future__ import annotations

import datetime

from checklists.models import (
    ChecklistItem,
    ChecklistKind,
    ChecklistSection,
    ChecklistTemplate,
    Frequency,
)
from tests.factories import post

# 环境 2 items, 着装 1, 设备 1, 物料 1: five items a round.
PATROL_ITEMS = {
    "环境": ["营业厅地面、桌面整洁无杂物", "门楣、灯箱完好明亮"],
    "着装": ["员工统一着装、佩戴工号牌"],
    "设备": ["叫号机、自助设备运行正常"],
    "物料": ["宣传折页、填单台凭条摆放齐全"],
}
INSPECTION_ITEMS = {
    "重要空白凭证": ["重要空白凭证入库保管、登记完整"],
    "现金管理": ["尾箱双人核对、日终轧账相符"],
}


def checklist(*, code, name_zh, kind, frequency, times=(), post_code=None, items=None, effective_from=None):
    template = ChecklistTemplate.objects.create(
        code=code,
        name_zh=name_zh,
        kind=kind,
        frequency=frequency,
        times=list(times),
        post=post(post_code) if post_code else None,
        effective_from=effective_from or datetime.date(2026, 1, 1),
    )
    for order, (section_name, texts) in enumerate((items or {}).items()):
        section = ChecklistSection.objects.create(template=template, name=section_name, sort_order=order)
        ChecklistItem.objects.bulk_create(
            [ChecklistItem(section=section, text=text, sort_order=index) for index, text in enumerate(texts)]
        )
    return template


def lobby_patrol(**kwargs) -> ChecklistTemplate:
    """大堂巡检记录表: ticked by the lobby manager at 09:00, 12:00 and 15:30, five items a round."""
    return checklist(
        code="lobby_patrol",
        name_zh="大堂巡检记录表",
        kind=ChecklistKind.PATROL,
        frequency=Frequency.TIMES_A_DAY,
        times=("09:00", "12:00", "15:30"),
        post_code="lobby_manager",
        items=PATROL_ITEMS,
        **kwargs,
    )


def control_checklist(**kwargs) -> ChecklistTemplate:
    """内控检查表: recorded when an inspection is made."""
    return checklist(
        code="internal_control",
        name_zh="内控检查表",
        kind=ChecklistKind.INSPECTION,
        frequency=Frequency.AS_NEEDED,
        items=INSPECTION_ITEMS,
        **kwargs,
    )
