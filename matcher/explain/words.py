"""The sentences of an explanation, in English or Chinese.

Explanations hold facts (rules, numbers, ids); this module alone turns them into words, so
the two languages say the same thing. The default language follows the scenario: Chinese
if any resident's name is written in CJK characters.
"""

from __future__ import annotations

import re

from matcher.scenario.model import DAYS, Scenario

LANGUAGES = ("en", "zh")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def choose_language(scenario: Scenario) -> str:
    return "zh" if any(_CJK.search(r.name) for r in scenario.residents) else "en"


TERM_NAMES = {
    "en": {"unmet_visit": "unmet visits", "unmet_member": "missing team members",
           "distance_km": "distance", "preference": "wishes missed", "churn": "churn",
           "fairness": "fairness", "cohesion": "cohesion"},
    "zh": {"unmet_visit": "未排探访", "unmet_member": "团队缺员", "distance_km": "距离",
           "preference": "未满足的偏好", "churn": "变动", "fairness": "公平",
           "cohesion": "跨组织团队"},
}

_GENDER = {"en": {"female": "female", "male": "male"}, "zh": {"female": "女性", "male": "男性"}}

_VERDICTS = {
    "en": {
        "distance": "lives {km:.2f} km away, beyond the {max_distance_km:g} km they travel (H1)",
        "safeguarding": "has no safeguarding check valid for the week of {week_of} "
                        "(valid to: {background_check_until}) and this is a child (H10)",
        "excluded": "is excluded by the resident (H8)",
        "gender": "the resident requires a {required} volunteer (H8)",
        "language": "speaks none of {required} (H8)",
        "skills": "lacks skill {missing} that {service} needs (H4)",
        "time": "is not free for {duration_min} min during {windows} for {service} "
                "(free {availability}) (H3)",
        "days": "is free on {count} more day(s) of {service}'s windows ({free_days}), "
                "{visits} needed (H3)",
        "other_need": "could not also do {service} ({because}); one-to-one care means one "
                      "volunteer does every need",
        "residents_cap": "already has {count} of {max_residents} residents ({residents}) (H7)",
        "hours_cap": "has {used_h:.1f} of {max_h:g} h taken ({by}); taking this on adds "
                     "{needed_h:.1f} h (H6)",
        "busy": "is busy at the times that fit ({visits}) (H5)",
        "team_full": "the team is full ({team}): serving means replacing a member",
        "better": "{volunteer} on the team was better by {by:.2f}",
        "costlier": "would cost {by:.2f} more than {instead_of}",
        "serves": "serves this resident",
        "eligible": "nothing rules them out{saves}; the solver's search did not find it",
    },
    "zh": {
        "distance": "相距 {km:.2f} 公里，超出其 {max_distance_km:g} 公里的服务距离（H1）",
        "safeguarding": "对象是儿童，而其安全审查在 {week_of} 这一周无效"
                        "（有效期至：{background_check_until}）（H10）",
        "excluded": "被服务对象排除（H8）",
        "gender": "服务对象要求{required}志愿者（H8）",
        "language": "不会说 {required} 中的任何一种（H8）",
        "skills": "缺少 {service} 所需的技能 {missing}（H4）",
        "time": "在 {service} 的时段 {windows} 内没有连续 {duration_min} 分钟空闲"
                "（其空闲：{availability}）（H3）",
        "days": "{service} 还需 {visits} 天，其在该需求时段内只有 {count} 天有空（{free_days}）（H3）",
        "other_need": "无法同时承担 {service}（{because}）；一对一服务要求同一位志愿者承担全部需求",
        "residents_cap": "已服务 {count}/{max_residents} 位对象（{residents}）（H7）",
        "hours_cap": "已用 {used_h:.1f}/{max_h:g} 小时（{by}），承担此需求还要 {needed_h:.1f} 小时（H6）",
        "busy": "合适的时间都已有其他探访（{visits}）（H5）",
        "team_full": "团队已满（{team}）：加入需替换一名成员",
        "better": "团队中的 {volunteer} 更合适，目标值低 {by:.2f}",
        "costlier": "比 {instead_of} 的目标值高 {by:.2f}",
        "serves": "正在服务此对象",
        "eligible": "没有规则排除{saves}；求解器的搜索没有找到",
    },
}

_CHANGES = {
    "en": {
        "none": "no change needed: re-solving the neighbourhood serves {resident} (the solver's "
                "search missed it)",
        "distance": "serve {resident} if {volunteer} could travel {to:g} km instead of {from:g}",
        "residents": "serve {resident} if {volunteer} could take {to} residents instead of {from}",
        "hours": "serve {resident} if {volunteer} could give {to:g} h a week instead of {from:g}",
        "availability": "serve {resident} if {volunteer} were also free {added}",
        "safeguarding": "serve {resident} if {volunteer}'s safeguarding check were renewed "
                        "(valid from {to})",
        "new_volunteer": "serve {resident} with {count} more volunteer{s} within {within_km:g} km"
                         "{skills}, free {availability}",
    },
    "zh": {
        "none": "无需改动：重新求解周边即可服务 {resident}（求解器的搜索遗漏了）",
        "distance": "若 {volunteer} 愿意出行 {to:g} 公里（原 {from:g} 公里），即可服务 {resident}",
        "residents": "若 {volunteer} 可服务 {to} 位对象（原 {from} 位），即可服务 {resident}",
        "hours": "若 {volunteer} 每周可服务 {to:g} 小时（原 {from:g} 小时），即可服务 {resident}",
        "availability": "若 {volunteer} 在 {added} 也有空，即可服务 {resident}",
        "safeguarding": "若 {volunteer} 的安全审查续期（自 {to} 起有效），即可服务 {resident}",
        "new_volunteer": "再招募 {count} 位 {within_km:g} 公里内的志愿者{skills}，空闲时间 {availability}，"
                         "即可服务 {resident}",
    },
}

TEXT = {
    "en": {
        "pair_head": "{resident} {resident_name} and {volunteer} {volunteer_name}: {km:.2f} km, "
                     "{status}",
        "incumbent": "in the current roster", "new_pair": "a new pair",
        "visits": "Visits", "no_visits": "none (a team member who attends no visit)",
        "adds": "What this pair adds to the objective:",
        "term_distance_km": "{km:.2f} km x {visits} visit(s) = {value:.2f} km",
        "term_preference": "{value:g} soft wish(es) missed",
        "term_churn": "kept pairs cost nothing; dropping this one would cost {weight:g}",
        "term_churn_new": "a new pair costs nothing by itself",
        "term_fairness": "{value:.2f} h of {volunteer}'s hours above their fair share",
        "term_cohesion": "{value:.2f} of a team spanning organizations",
        "total": "total", "dropped": "{resident}'s current volunteers this roster dropped: "
                                     "{volunteers} (churn {weight:g} each)",
        "alternatives": "Best alternatives among {count} volunteers who meet the hard rules "
                        "for these visits:",
        "no_alternatives": "No other volunteer meets the hard rules for these visits.",
        "delta": "change {total:+.2f}",
        "not_chosen": "not chosen: {why}",
        "resident_head": "{resident} {name} ({kind}, priority {priority}, team of {team_size})",
        "team": "Team", "nobody": "nobody",
        "unmet_head": "Unmet: {service}: {visits_missing} visit(s) missing, {members_missing} "
                      "team member(s) missing",
        "roster_says": "unmet.csv says: {reason}",
        "nearby": "Nearby volunteers and what keeps each from this need:",
        "change": "Smallest change found: {words}",
        "change_losses": "  (but: {losses})",
        "no_change": "No change found among {count} tried ({kinds}).",
        "tried": "Tried {count} change(s) in {seconds:.1f} s, each re-solving {residents} "
                 "resident(s) and {volunteers} volunteer(s) around {resident}; "
                 "objective {delta:+.1f}.",
        "no_unmet": "Every need is served.",
        "volunteer_head": "{volunteer} {name}: {count} of {cap} residents, {used:.1f} of "
                          "{hours:g} h (fair share {share:.1f} h), travels up to {km:g} km",
        "serves_line": "{resident} {name}: {km:.2f} km, {visits} visit(s), {hours:.1f} h, "
                       "cost {cost:.2f}",
        "nearby_residents": "Residents nearby not served by {volunteer}, and why:",
        "roster_head": "{scenario}: {status}, objective {objective:,.2f}{bound}",
        "bound": " (proven bound {bound:,.2f})",
        "terms": "Objective by term:",
        "coverage": "Visits scheduled {scheduled} of {demanded} ({share:.1%})",
        "costliest": "The {count} costliest of {total} decisions:",
        "decision_pair": "pair {resident} {name} - {subject}",
        "decision_unmet": "unmet {resident} {name} {subject}",
        "decision_dropped": "dropped current pair {resident} {name} - {subject}",
        "saves": " and it would save {saves:.2f}",
        "saves_instead": ": taking {instead_of}'s place would save {saves:.2f}",
    },
    "zh": {
        "pair_head": "{resident} {resident_name} 与 {volunteer} {volunteer_name}："
                     "相距 {km:.2f} 公里，{status}",
        "incumbent": "现行名单中已有的配对", "new_pair": "新配对",
        "visits": "探访", "no_visits": "无（该团队成员本周不参加探访）",
        "adds": "此配对对目标值的贡献：",
        "term_distance_km": "{km:.2f} 公里 x {visits} 次探访 = {value:.2f} 公里",
        "term_preference": "未满足 {value:g} 项偏好",
        "term_churn": "保留的配对不计变动；若去掉此配对将计 {weight:g}",
        "term_churn_new": "新配对本身不计变动",
        "term_fairness": "{volunteer} 超出公平份额的时间中 {value:.2f} 小时归于此配对",
        "term_cohesion": "跨组织团队成本的 {value:.2f} 份",
        "total": "合计",
        "dropped": "本名单去掉了 {resident} 的现有志愿者：{volunteers}（每个变动计 {weight:g}）",
        "alternatives": "在 {count} 位满足这些探访硬性规则的志愿者中，最好的替代人选：",
        "no_alternatives": "没有其他志愿者满足这些探访的硬性规则。",
        "delta": "目标值变化 {total:+.2f}",
        "not_chosen": "未被选择：{why}",
        "resident_head": "{resident} {name}（{kind}，优先级 {priority}，团队 {team_size} 人）",
        "team": "团队", "nobody": "无",
        "unmet_head": "未满足：{service}：缺 {visits_missing} 次探访，缺 {members_missing} 名团队成员",
        "roster_says": "unmet.csv 的原因：{reason}",
        "nearby": "附近的志愿者及其不能承担此需求的原因：",
        "change": "找到的最小改动：{words}",
        "change_losses": "  （但：{losses}）",
        "no_change": "在尝试的 {count} 项改动中没有找到可行的（{kinds}）。",
        "tried": "共尝试 {count} 项改动，用时 {seconds:.1f} 秒，每次重新求解 {resident} 周边的 "
                 "{residents} 位对象和 {volunteers} 位志愿者；目标值变化 {delta:+.1f}。",
        "no_unmet": "所有需求都已满足。",
        "volunteer_head": "{volunteer} {name}：服务 {count}/{cap} 位对象，{used:.1f}/{hours:g} 小时"
                          "（公平份额 {share:.1f} 小时），服务距离 {km:g} 公里",
        "serves_line": "{resident} {name}：{km:.2f} 公里，{visits} 次探访，{hours:.1f} 小时，成本 {cost:.2f}",
        "nearby_residents": "附近未由 {volunteer} 服务的对象及原因：",
        "roster_head": "{scenario}：{status}，目标值 {objective:,.2f}{bound}",
        "bound": "（已证明的下界 {bound:,.2f}）",
        "terms": "目标值各项：",
        "coverage": "已排探访 {scheduled}/{demanded}（{share:.1%}）",
        "costliest": "{total} 项决定中成本最高的 {count} 项：",
        "decision_pair": "配对 {resident} {name} - {subject}",
        "decision_unmet": "未满足 {resident} {name} {subject}",
        "decision_dropped": "去掉的现有配对 {resident} {name} - {subject}",
        "saves": "，且可节省 {saves:.2f}",
        "saves_instead": "：替换 {instead_of} 可节省 {saves:.2f}",
    },
}

_KINDS = {"en": {"senior": "senior", "child": "child"}, "zh": {"senior": "老人", "child": "儿童"}}


def clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def compact_windows(windows) -> str:
    """Windows as few strings of the format's grammar: days that share the same hours are
    written together, `Mon-Thu 14:30-16:30; Sat 09:00-12:00`."""
    by_hours: dict[tuple[int, int], list[int]] = {}
    for w in windows:
        by_hours.setdefault((w.start, w.end), []).append(w.day)
    parts = []
    for (start, end), days in sorted(by_hours.items(), key=lambda item: (min(item[1]), item[0])):
        runs: list[list[int]] = []
        for day in sorted(set(days)):
            if runs and runs[-1][-1] == day - 1:
                runs[-1].append(day)
            else:
                runs.append([day])
        text = ",".join(DAYS[run[0]] if len(run) == 1 else
                        f"{DAYS[run[0]]}-{DAYS[run[-1]]}" if len(run) > 2 else
                        f"{DAYS[run[0]]},{DAYS[run[1]]}" for run in runs)
        parts.append(f"{text} {clock(start)}-{clock(end)}")
    return "; ".join(parts)


def display_width(text: str) -> int:
    """Terminal columns: CJK characters take two."""
    return sum(2 if ord(ch) >= 0x2E80 else 1 for ch in text)


def pad(text: str, width: int) -> str:
    return text + " " * max(0, width - display_width(text))


def say(lang: str, key: str, **values) -> str:
    return TEXT[lang][key].format(**values)


def kind_name(lang: str, kind: str) -> str:
    return _KINDS[lang].get(kind, kind)


def verdict_words(lang: str, facts: dict) -> str:
    """A verdict's `as_dict()` in words."""
    rule = facts["rule"]
    values = dict(facts)
    sep = "、" if lang == "zh" else ", "
    if rule == "gender":
        values["required"] = _GENDER[lang].get(facts["required"], facts["required"])
    elif rule in ("language",):
        values["required"] = sep.join(facts["required"])
    elif rule == "skills":
        values["missing"] = sep.join(facts["missing"])
    elif rule == "safeguarding":
        values["background_check_until"] = facts["background_check_until"] or "-"
    elif rule == "days":
        values["count"] = len(facts["free_days"])
        values["free_days"] = sep.join(facts["free_days"]) or "-"
    elif rule == "other_need":
        values["because"] = verdict_words(lang, facts["because"])
    elif rule == "residents_cap":
        values["count"] = len(facts["residents"])
        values["residents"] = sep.join(facts["residents"])
    elif rule == "hours_cap":
        values["by"] = sep.join(f"{r} {h:.1f} h" for r, h in facts["by_resident"].items()) or "-"
    elif rule == "busy":
        values["visits"] = sep.join(facts["visits"]) or "-"
    elif rule == "team_full":
        values["team"] = sep.join(facts["team"])
    elif rule == "eligible":
        saves, instead = facts.get("saves"), facts.get("instead_of")
        key = "saves_instead" if instead else "saves"
        values["saves"] = TEXT[lang][key].format(saves=saves, instead_of=instead) if saves else ""
    return _VERDICTS[lang][rule].format(**values)


def change_words(lang: str, change: dict, resident: str) -> str:
    """A change's `as_dict()` in words."""
    kind = change["kind"]
    values = {"resident": resident, "volunteer": change["volunteer"], "from": change["from"],
              "to": change["to"]}
    if kind == "availability":
        values["added"] = change["added"]
    if kind == "new_volunteer":
        recruit = change["to"]
        values.update(count=recruit["count"], s="s" if recruit["count"] != 1 else "",
                      within_km=recruit["within_km"], availability=recruit["availability"])
        skills = ", ".join(recruit["skills"])
        if lang == "zh":
            values["skills"] = f"（具备技能 {skills}）" if skills else ""
        else:
            values["skills"] = f" with skill {skills}" if skills else ""
    return _CHANGES[lang][kind].format(**values)
