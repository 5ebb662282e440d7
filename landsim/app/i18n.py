"""Labels of the browser app in English and Chinese.

Every string the page shows comes from :data:`TEXT` through :func:`tr`, so that a language
switch changes the whole page. Lessons carry their own text in both languages (see
:mod:`landsim.app.lessons`). Images (map, charts) hold no words, only numbers, so they need no
CJK font on the server; legends and titles are HTML and use the browser's fonts.
"""

from __future__ import annotations

from landsim.labels import label

__all__ = ["LANGUAGES", "TEXT", "tr", "scenario_label"]

#: language code -> name shown on the switch
LANGUAGES: dict[str, str] = {"en": "English", "zh": "中文"}

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "title": "landsim · land transfer classroom",
        "year_of": "Year {year} of {years}",
        "timeline_year": "Year {year}",
        "step": "Step",
        "refused": "A value sent by the browser was refused: it is not one this page offers.",
        "play": "Play",
        "pause": "Pause",
        "reset": "Reset",
        "run": "Run",
        "scenario": "Scenario",
        "scenario_a": "Scenario A",
        "scenario_b": "Scenario B",
        "compare": "Compare two scenarios",
        "edit_levers_of": "Levers of",
        "levers": "Policy levers",
        "levers_pending": "Changed levers take effect when you press Reset.",
        "levers_applied": "The model runs with these levers.",
        "seed": "Random seed",
        "benefit_rule": "Benefit-sharing rule",
        "fixed_rent": "Fixed rent (yuan/mu/yr)",
        "guaranteed_rent": "Guaranteed rent (yuan/mu/yr)",
        "member_share": "Members' share of profit",
        "profit_split": "reserve {reserve:.0%} · collective {collective:.0%}",
        "subsidy_per_mu": "Subsidy (yuan/mu/yr)",
        "subsidy_years": "Subsidy years",
        "audit_rate": "Audit rate (chance per year)",
        "custody_price": "Custody service price (yuan/mu/yr)",
        "rule.fixed_rent": "Fixed rent",
        "rule.guaranteed_dividend": "Guaranteed rent + dividend",
        "rule.shareholding": "Pure shareholding",
        "rule.guaranteed_rebate": "Guaranteed rent + second rebate",
        "layer": "Map layer",
        "layer.operator": "Who farms",
        "layer.age": "Holder's age",
        "layer.terrain": "Terrain",
        "layer.trust": "Trust in the cooperative",
        "kind.idle": "Idle (abandoned)",
        "kind.own": "Farmed by the holder",
        "kind.household_lease": "Leased to another household",
        "kind.coop": "Cooperative",
        "kind.custody": "Service firm (custody)",
        "hilly_darker": "darker shade = hilly land",
        "collective": "Returned to the collective",
        "flat": "Flat land",
        "hilly": "Hilly land",
        "quality_shade": "brighter = better soil",
        "age_years": "age of the household head (years)",
        "trust_scale": "0 = none, 1 = full",
        "boundaries": "black lines = village boundaries",
        "not_farmland": "Not farmland (roads, settlements, water, steep slopes)",
        # chart titles come from the one table of outcome labels (landsim/labels.py), which
        # the command line's figures use too
        "chart.abandonment": label("abandonment_rate").text,
        "chart.income": label("household_income_mean").text,
        "chart.income_series": "solid: all households · dotted: head 65+",
        "chart.participation": label("participation_rate").text,
        "chart.collective": label("collective_income_mean").text,
        "chart.coops": f"{label('coops_active').title} · dotted: empty shells",
        "chart.land": f"{label('coop_land_share').text} · dotted: in custody",
        "kpi.abandonment": "abandoned",
        "kpi.income": "income / household",
        "kpi.income65": "income, head 65+",
        "kpi.participation": "participation",
        "kpi.collective": "collective income / village",
        "kpi.coops": "active coops",
        "no_data": "Press Step to run the first year.",
        "lessons": "Lessons",
        "lesson_open": "Open",
        "lesson_close": "Close lesson",
        "lesson_reload": "Restart this lesson",
        "lesson_setup": "Set up by this lesson",
        "what_it_is": "What it is",
        "how_it_works": "How it works",
        "how_to_use": "How to use it",
        "things_to_notice": "Things to notice",
        "things_to_try": "Things to try",
        "extending_the_model": "Extending the model",
        "references": "References",
        "missing_scenario": "Scenario file {name!r} was not found; using the default parameters.",
        "end_of_run": "End of the scenario's horizon ({years} years); Step goes on.",
        "defaults": "Default parameters",
        "language": "Language",
    },
    "zh": {
        "title": "landsim · 农村土地流转课堂",
        "year_of": "第 {year} 年（共 {years} 年）",
        "timeline_year": "第 {year} 年",
        "step": "下一年",
        "refused": "浏览器发送的值已被拒绝：它不是本页面提供的选项。",
        "play": "播放",
        "pause": "暂停",
        "reset": "重置",
        "run": "运行",
        "scenario": "情景",
        "scenario_a": "情景 A",
        "scenario_b": "情景 B",
        "compare": "对比两个情景",
        "edit_levers_of": "调整哪个情景的政策",
        "levers": "政策杠杆",
        "levers_pending": "修改后的政策在点击“重置”后生效。",
        "levers_applied": "模型正按这些政策运行。",
        "seed": "随机种子",
        "benefit_rule": "利益分配方式",
        "fixed_rent": "固定租金（元/亩/年）",
        "guaranteed_rent": "保底租金（元/亩/年）",
        "member_share": "利润中分给社员的比例",
        "profit_split": "公积金 {reserve:.0%} · 村集体 {collective:.0%}",
        "subsidy_per_mu": "补贴（元/亩/年）",
        "subsidy_years": "补贴年限",
        "audit_rate": "审计概率（每年）",
        "custody_price": "托管服务价格（元/亩/年）",
        "rule.fixed_rent": "固定租金",
        "rule.guaranteed_dividend": "保底收益 + 按股分红",
        "rule.shareholding": "纯土地入股",
        "rule.guaranteed_rebate": "保底收益 + 二次返利",
        "layer": "地图图层",
        "layer.operator": "谁在种地",
        "layer.age": "承包户户主年龄",
        "layer.terrain": "地形",
        "layer.trust": "对合作社的信任",
        "kind.idle": "撂荒",
        "kind.own": "承包户自己耕种",
        "kind.household_lease": "转包给其他农户",
        "kind.coop": "合作社经营",
        "kind.custody": "服务公司托管",
        "hilly_darker": "颜色较深 = 山地丘陵",
        "collective": "承包权已收回村集体",
        "flat": "平地",
        "hilly": "山地丘陵",
        "quality_shade": "越亮 = 土壤越好",
        "age_years": "户主年龄（岁）",
        "trust_scale": "0 = 不信任，1 = 完全信任",
        "boundaries": "黑线 = 村界",
        "not_farmland": "非耕地（道路、居民点、水面、陡坡）",
        "chart.abandonment": "撂荒土地（%）",
        "chart.income": "农户收入（元/年）",
        "chart.income_series": "实线：全部农户 · 点线：户主65岁以上",
        "chart.participation": "合作社参与率（%）",
        "chart.collective": "村集体收入（元/年）",
        "chart.coops": "运营中的合作社 · 点线：空壳社",
        "chart.land": "合作社经营的土地（%）· 点线：托管",
        "kpi.abandonment": "撂荒",
        "kpi.income": "户均收入",
        "kpi.income65": "65岁以上户主收入",
        "kpi.participation": "参与率",
        "kpi.collective": "村均集体收入",
        "kpi.coops": "运营中的合作社",
        "no_data": "点击“下一年”运行第一年。",
        "lessons": "课程",
        "lesson_open": "打开",
        "lesson_close": "关闭课程",
        "lesson_reload": "重新开始本课",
        "lesson_setup": "本课设定",
        "what_it_is": "这是什么",
        "how_it_works": "运作原理",
        "how_to_use": "如何使用",
        "things_to_notice": "注意观察",
        "things_to_try": "动手尝试",
        "extending_the_model": "扩展模型",
        "references": "参考文献",
        "missing_scenario": "未找到情景文件 {name!r}，使用默认参数。",
        "end_of_run": "已到情景设定的年限（{years} 年）；仍可继续点击“下一年”。",
        "defaults": "默认参数",
        "language": "语言",
    },
}

#: Chinese names of the bundled scenario files (English names come from the file stem)
_SCENARIO_ZH: dict[str, str] = {
    "baseline": "基准：老龄化，没有合作社",
    "coop_fixed_rent": "合作社：固定租金",
    "coop_guaranteed_dividend": "合作社：保底 + 分红",
    "coop_weak_management": "合作社：管理不规范",
    "coop_subsidy_dependent": "合作社：依赖补贴",
    "tri_party_governance": "政府 + 党支部 + 第三方共治（含利益联结）",
    "custody_only": "只有托管服务，没有合作社",
}


def tr(key: str, lang: str, **fmt: object) -> str:
    """The label ``key`` in language ``lang`` (falls back to English, then to the key)."""
    text = TEXT.get(lang, TEXT["en"]).get(key) or TEXT["en"].get(key, key)
    return text.format(**fmt) if fmt else text


def scenario_label(name: str, lang: str, title: str = "") -> str:
    """Display name of the scenario file ``name`` (its stem) in ``lang``.

    That is the Chinese name of a bundled scenario, else the file's ``title``, else the stem.
    """
    if not name:
        return tr("defaults", lang)
    if lang == "zh" and name in _SCENARIO_ZH:
        return _SCENARIO_ZH[name]
    return title or name.replace("_", " ").capitalize()
