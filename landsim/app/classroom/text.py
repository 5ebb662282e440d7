"""Labels of the classroom pages in English and Chinese (each student and the teacher choose).

Every word a classroom page shows comes from here or from the app's own labels
(:func:`landsim.app.i18n.tr`: scenario titles, rule names, map legends, chart titles), so that
both modes say the same thing; a Chinese page holds no English word of its own (tested by
scanning the rendered pages). Amounts are yuan; a plot's size is in mu (亩).
"""

from __future__ import annotations

from landsim.app.i18n import tr as app_tr

__all__ = ["TEXT", "t"]

_EN: dict[str, str] = {
    # ------------------------------------------------------------------ frame and start
    "title": "landsim · classroom",
    "start_class": "Start a class",
    "scenario": "Scenario",
    "help.scenario": "Recommended: co-ops with a guaranteed minimum + dividend (every village has "
    "a co-op, so secretaries and households have something to decide). The model plays year 0 "
    "alone, when co-ops are founded; the class then plays years 1, 2, ...",
    "years": "Years to play",
    "help.years": "3 to 5 years fit a 45-minute lesson (3-4 minutes a year).",
    "seconds": "Seconds per round (0: I press Next year)",
    "class_size": "Class size (seats)",
    "leases": "Lease lengths",
    "leases.class": "1 year (every plot is decided again each year)",
    "leases.scenario": "The scenario's own (households 1 or 3-8 years, co-op 3-6)",
    "help.leases.class": "Every lease, to a household or the co-op, runs one year: each student "
    "decides on every plot in every round. The model's own town runs with the same leases.",
    "help.leases.scenario": "Leases run as in the scenario: a plot leased in year 1 may stay "
    "leased to the end of a short class, and its owner has nothing left to decide for it.",
    "start": "Start the class",
    # ------------------------------------------------------------------ the teacher's dashboard
    "class_code": "Class code",
    "join_at": "Students open",
    "teacher_link": "This browser runs the class (its key is in a cookie, never in the "
    "address, so the page can be projected).",
    "next_year": "Next year",
    "pause": "Pause timer",
    "resume": "Resume timer",
    "end": "End and debrief",
    "year": "Year {year} of {years}",
    "years_played": "{years} of {years} years played",
    "seconds_left": "{s} s left in this round",
    "students": "Students ({n})",
    "roster_help": "✔ decided this year · ○ not yet (the model decides for them if the year "
    "closes first)",
    "help.dashboard": "Students decide on their own devices. Next year closes the round: the "
    "town plays the year with every decision received.",
    "seats": "Seats ({n})…",
    "help.seats": "Free the seat of a student whose device failed: they join again from the new "
    "device with the same name.",
    "town_map": "The class's town: who farms each plot",
    "outlined": "Outlined: the plots of the students' households.",
    "role.household": "Household {index}",
    "role.branch": "Party branch, village {index}",
    "role.government": "Town government",
    # ------------------------------------------------------------------ the debrief
    "debrief": "Debrief: our town and the model's town (same seed, same people)",
    "outcome": "Last year",
    "class_town": "Our town",
    "model_town": "Model's town",
    "difference_map": "Where they differ",
    "difference": "Difference",
    "help.debrief": "Our town: the class decided for its households, co-ops and government. "
    "Model's town: the same town with every decision left to the model. ▲ better in our town, "
    "▼ worse.",
    "help.difference_map": "Where they differ: a plot farmed differently in our town, in its "
    "colour in our town; grey: the same in both. Outlined: the students' plots.",
    "roles_result": "Each role's result",
    "result.household": "{who}: earned {income:,.0f} yuan last year in our town and "
    "{model:,.0f} in the model's ({diff:+,.0f}); {idle} of {plots} plots idle (model: "
    "{model_idle}).",
    "result.branch": "{who}: the co-op farmed {area:,.0f} mu with {members} member households, "
    "profit {profit:,.0f} yuan (model's: {model_area:,.0f} mu, {model_members} members, "
    "{model_profit:,.0f} yuan).",
    "result.branch_none": "{who}: no co-op working in our town (model's: {model_area:,.0f} mu, "
    "{model_members} members).",
    "result.government": "{who}: subsidy {subsidy:,.0f} yuan/mu for {years} years, audits "
    "{audit:.0%} a year; land abandoned {abandoned:.1%} (model's town: {model_abandoned:.1%}).",
    "result.model_years": "The model decided for them in {n} year(s).",
    "download": "Download results (tables, decision log, provenance)",
    # ------------------------------------------------------------------ joining
    "join_title": "Join a class",
    "your_name": "Your name",
    "code": "Class code",
    "i_play": "I would like to play",
    "wish.household": "a household",
    "wish.branch": "a village Party branch secretary",
    "wish.government": "the town government",
    "wish_help.household": "A farming family: each year you decide what to do with each of "
    "your plots.",
    "wish_help.branch": "You run your village's co-op: its benefit-sharing rule, its guaranteed "
    "rent and the members' share of profit (one per village; else a household).",
    "wish_help.government": "You set the subsidy to co-ops and how often they are audited (one "
    "per class; else a household).",
    "join": "Join",
    "you_are": "{name}: you are {role}",
    "seat_freed": "Your seat in this class was freed by the teacher: join again.",
    "ended": "The class has ended. Thank you!",
    "all_played": "All years are played: the teacher will show the debrief.",
    # ------------------------------------------------------------------ a household
    "died_out": "Your household has died out; watch the town.",
    "members": "Your household",
    "member": "{age}",
    "list_sep": ", ",
    "member_away": "{age} (works in the city)",
    "field_days": "Field days your family can work this year: {days:.0f} (enough for about {n} "
    "flat plots; a hilly plot takes more)",
    "leased_in": "You farm plot {plot} of household {who}, for {rent:,.0f} yuan/mu a year.",
    "leased_in_kin": "You farm plot {plot} of your relatives (household {who}), rent-free.",
    "income": "Last year's income (yuan)",
    "income_total": "Total: your net income",
    "no_income": "No income yet.",
    "decide_plots": "This year: what to do with each plot",
    "your_plots_map": "Your plots (outlined in white)",
    "plot_label": "Plot {plot} · {mu:g} mu · {terrain} · soil {q}",
    "flat": "flat",
    "hilly": "hilly",
    "still_leased": "Still leased out for {n} more year(s): nothing to decide this year.",
    "years_n": "{n} year(s)",
    "years_range": "{lo}-{hi} years",
    "help.keep": "your family farms it: you sell the harvest and pay for seed, fertiliser and "
    "machines; it takes field days (your own work is not paid).",
    "help.lease": "a relative who wants it takes it first, rent-free (families help each "
    "other); otherwise the household that bids most pays rent; if nobody bids, it lies idle. "
    "For {years}.",
    "help.coop": "the co-op farms it and pays you its guaranteed rent plus a share of its "
    "profit ({rule}); the co-op refuses land whose harvest would not cover what it pays and "
    "its costs. For {years}.",
    "help.custody": "the service firm farms it for its price and you keep the harvest; when "
    "the firm is full, it lies idle. For 1 year.",
    "note.keep": "≈ {net:,.0f} yuan · {days:.0f} field days",
    "note.lease": "≈ {rent:,.0f} yuan rent",
    "note.lease_kin": "≈ {rent:,.0f} yuan rent, or rent-free to a relative",
    "note.coop": "{base:,.0f} guaranteed + ≈ {bonus:,.0f} bonus (yuan)",
    "note.custody": "pay {price:,.0f}, keep the harvest: ≈ {net:,.0f} yuan",
    "last.own": "Last year: your family farmed it.",
    "last.own_fallback": "Last year: you offered it, nobody took it, so your family farmed it "
    "after all.",
    "last.lease": "Last year: leased to household {who} for {rent:,.0f} yuan/mu.",
    "last.lease_kin": "Last year: lent rent-free to your relatives (household {who}).",
    "last.coop": "Last year: in the co-op, which paid you {paid:,.0f} yuan guaranteed for it, "
    "plus its bonus.",
    "last.custody": "Last year: the service firm farmed it; you kept the harvest.",
    "last.idle_kept_no_days": "Last year: idle. You kept it, but your family had no field days "
    "left to farm it.",
    "last.idle_no_bid": "Last year: idle. You offered it for lease and no household bid: nobody "
    "with labour to spare would pay what it was worth to you.",
    "last.idle_coop_refused": "Last year: idle. You offered it to the co-op, which did not take "
    "it.",
    "last.idle_firm_full": "Last year: idle. The service firm had no room left for it.",
    "last.idle_unused": "Last year: idle: nobody farmed it.",
    "lease_runs": "The lease runs {n} more year(s).",
    "days_kept": "The plots you keep need {need} of your {have} field days.",
    "choice.keep": "Keep farming",
    "choice.lease": "Lease to a household",
    "choice.coop": "Join the co-op",
    "choice.custody": "Custody",
    "engage": "Take part in the co-op's meetings",
    "engage_help": "For members (a plot in the co-op). Members who come to meetings check the "
    "accounts: less of the co-op's money leaks away and the bonus is larger. It costs you "
    "nothing here.",
    "submit": "Send my decision",
    "acknowledged": "Decision received for year {year}.",
    "not_decided": "Not decided yet: the model decides for you if time runs out.",
    "rejected": "Rejected: {msg}",
    # ------------------------------------------------------------------ a branch secretary
    "village_now": "Your village (village {village}) last year",
    "village_figures": "{households} households, {mu:,.0f} mu; idle {idle:.0%}, leased to "
    "households {leased:.0%}, in the co-op {coop:.0%} of the land.",
    "no_coop_now": "Your village has no co-op.",
    "coop_now": "Your co-op ({rule}): {status}, founded in year {year}.",
    "status.active": "working",
    "status.empty_shell": "an empty shell (it failed)",
    "coop.area": "Land it farmed (mu)",
    "coop.members": "Member households",
    "coop.engaged": "Members at its meetings",
    "coop.revenue": "Its sales (yuan)",
    "coop.subsidy": "Subsidy received (yuan)",
    "coop.leakage": "Money that leaked away (yuan)",
    "coop.profit": "Profit (yuan)",
    "coop.reserve": "Reserve fund (yuan)",
    "help.profit": "Profit is what the co-op kept after paying its costs, members' guaranteed "
    "rent, wages and what leaked away, subsidy included; a loss is paid from the reserve fund "
    "or borrowed. Profit is shared by the rule below.",
    "branch_decide": "Your decision: the co-op's terms",
    "branch_found": "Found a co-op this year",
    "help.found": "A new co-op gets a start-up grant from the town and takes land from next year.",
    "benefit_rule": "Benefit-sharing rule",
    "help.rule.fixed_rent": "Members get a fixed rent per mu and no share of profit.",
    "help.rule.guaranteed_dividend": "Members get a guaranteed rent per mu plus a dividend: "
    "their share of profit, by land.",
    "help.rule.shareholding": "Nothing is guaranteed: members share the profit by land.",
    "help.rule.guaranteed_rebate": "Members get a guaranteed rent per mu plus a second rebate: "
    "their share of profit, by the days they work for the co-op.",
    "guaranteed_rent": "Guaranteed rent (yuan/mu a year)",
    "fixed_rent": "Fixed rent (yuan/mu a year)",
    "member_share": "Members' share of profit",
    "help.guaranteed_rent": "Paid whatever the harvest: a higher guarantee draws more land but "
    "leaves the co-op less profit.",
    "help.fixed_rent": "Paid whatever the harvest; the co-op keeps all its profit.",
    "help.member_share": "The rest of the profit: {reserve:.0%} to the reserve fund, "
    "{collective:.0%} to the village collective.",
    "branch_when": "Your terms count for this year's harvest; households see them when they "
    "decide next year.",
    # ------------------------------------------------------------------ the town government
    "gov_last_year": "Last year",
    "gov_figures": "The town paid co-ops {subsidies:,.0f} yuan (grants and subsidies) and spent "
    "{spent:,.0f} yuan in all; {audited} co-op(s) audited; {coops} co-op(s) working.",
    "gov_decide": "Your decision for this year",
    "subsidy_per_mu": "Subsidy (yuan/mu a year)",
    "subsidy_years": "Subsidy years",
    "audit_rate": "Audit rate (chance a year)",
    "help.subsidy_per_mu": "Paid to a co-op for each mu it farms: it helps a young co-op pay its "
    "members, but a co-op that lives on it may fail when it ends.",
    "help.subsidy_years": "How many years after its founding a co-op receives the subsidy.",
    "help.audit_rate": "The chance that each co-op is audited this year: an audit finds money "
    "that leaked away, recovers some, and tells the members (trust follows).",
    "gov_when": "Your levers count from the start of this year.",
    "town_outcomes": "The town in year {year}",
    # ------------------------------------------------------------------ outcomes
    "metric.abandonment_rate": "Abandoned land",
    "metric.household_income_mean": "Household income (yuan/yr)",
    "metric.household_income_65plus": "Income, head 65+ (yuan/yr)",
    "metric.participation_rate": "Co-op participation",
    "metric.coop_land_share": "Land in co-ops",
    "metric.collective_income_mean": "Collective income per village (yuan/yr)",
    "metric.coops_active": "Co-ops working",
    "metric.coops_empty_shell": "Empty-shell co-ops",
    "metric.lease_rent_mean": "Rent of new paid leases (yuan/mu)",
    # ------------------------------------------------------------------ income lines
    "src.crop_sales": "crop sales",
    "src.input_costs": "seed, fertiliser, machines",
    "src.rent_in": "rent received",
    "src.rent_out": "rent paid",
    "src.rent": "rent",
    "src.custody_fee": "custody fee",
    "src.coop_base": "co-op guaranteed rent",
    "src.coop_bonus": "co-op dividend / rebate",
    "src.coop_wage": "co-op wages",
    "src.local_wage": "local wages",
    "src.remittance": "money from family in the city",
    "src.pension": "pension",
    "src.hired_labour": "day labour hired",
    "src.farmland_subsidy": "farmland subsidy",
    # ------------------------------------------------------------------ refusals
    "err.name_text": "a name must be text",
    "err.name_empty": "please type your name",
    "err.name_long": "a name has at most {n} characters",
    "err.name_taken": "{name!r} has already joined class {code} in another browser (or a "
    "name that looks the same): to come back there, reopen your own page; otherwise join "
    "with another name, or ask your teacher to free that seat",
    "err.browser_taken": "this browser already plays {name!r} in this class",
    "err.full": "this class is full ({n} seats): ask your teacher",
    "err.too_many_joins": "too many students joined this class just now; try again in {s} s",
    "err.no_household": "every household of the town has a student",
    "err.nobody": "nobody called {name!r} has joined class {code}",
    "err.size": "the class size must be a whole number from {lo} to {hi} (the students "
    "seated now), got {value}",
    "err.ended": "the class has ended",
    "err.played": "the class has played all its years",
    "err.scenario": "unknown scenario {name!r}",
    "err.leases": "unknown lease setting {value!r}",
    "err.range": "{what} must be a whole number from {lo} to {hi}, got {value}",
    "range.years": "Years to play",
    "range.seconds": "Seconds per round",
    "range.seed": "The seed",
    "range.class_size": "The class size",
    "err.too_many_classes": "too many classes on this server; end one first",
    "err.no_class": "no class with code {code!r}",
    "err.not_teacher": "this address is not the teacher's address of the class (open it "
    "with the teacher's link, in the teacher's browser)",
    "err.not_a_decision": "that is not a decision this page sends: {why}",
    "err.unexpected": "the server could not read that decision",
    "err.keys": "a household decides plots and engage, not {keys}",
    "err.not_your_plot": "plot {plot} is not a plot of your household",
    "err.plot_leased": "plot {plot} is under a running lease this year",
    "err.not_open": "plot {plot}: “{choice}” is not open to your household this year",
    "err.too_many_kept": "your family has {have:.0f} field days this year; keeping these {n} "
    "plots needs {need:.0f}: let some go",
    "err.lever": "{detail}",
    "err.rule": "{detail}",
    "why.plots": "a decision must map plot numbers to choices",
    "why.plot": "a plot must be a whole number, got {plot}",
    "why.choice": "a choice must be one of the page's options, got {choice}",
    "why.engage": "engage must be true or false",
    "why.keys": "a household decides plots and engage, not {keys}",
    # ------------------------------------------------------------------ seats and links
    "set_size": "Set",
    "free_seat": "Free a seat",
    "free_seat_of": "Student whose seat to free",
    "freed": "The seat of {name} is free: they may join again.",
    "show_teacher_link": "Teacher's link for another device (keep it off the projector)",
    "teacher_link_is": "Open this on your other device; it holds your key, so keep it private:",
    "closing_year": "Closing the year…",
}

_ZH: dict[str, str] = {
    "title": "土地流转课堂",
    "start_class": "开始一堂课",
    "scenario": "情景",
    "help.scenario": "推荐：合作社“保底 + 分红”（每个村都有合作社，支书和农户都有事可决定）。"
    "第 0 年由模型单独运行，合作社在这一年成立；随后全班进行第 1、2……年。",
    "years": "进行的年数",
    "help.years": "一节 45 分钟的课适合 3 到 5 年（每年 3 到 4 分钟）。",
    "seconds": "每轮秒数（0：由我按“下一年”）",
    "class_size": "课堂人数（座位）",
    "leases": "流转期限",
    "leases.class": "1 年（每块地每年重新决定）",
    "leases.scenario": "按情景设定（农户之间 1 年或 3 到 8 年，合作社 3 到 6 年）",
    "help.leases.class": "所有流转（给农户或合作社）都是一年：每个学生每一轮都要为每块地做决定。"
    "模型自己的镇也用同样的期限。",
    "help.leases.scenario": "流转期限按情景设定：第 1 年流转出去的地可能到短课结束都收不回来，"
    "地的主人就没有可决定的了。",
    "start": "开始上课",
    "class_code": "课堂代码",
    "join_at": "学生打开",
    "teacher_link": "本浏览器负责运行课堂（钥匙保存在浏览器里，不在地址栏里，"
    "因此本页面可以投影）。",
    "next_year": "下一年",
    "pause": "暂停计时",
    "resume": "继续计时",
    "end": "结束并复盘",
    "year": "第 {year} 年，共 {years} 年",
    "years_played": "{years} 年已全部完成（共 {years} 年）",
    "seconds_left": "本轮还剩 {s} 秒",
    "students": "学生（{n}）",
    "roster_help": "✔ 今年已决定 · ○ 尚未决定（如果这一年先结束，由模型替他们决定）",
    "help.dashboard": "学生在自己的设备上做决定。“下一年”结束本轮："
    "全镇带着收到的所有决定运行这一年。",
    "seats": "座位（{n}）…",
    "help.seats": "学生的设备出了问题时，释放他的座位：他用同一个名字在新设备上重新加入。",
    "town_map": "全班的镇：每块地由谁耕种",
    "outlined": "加框的是学生家庭的地块。",
    "role.household": "农户 {index}",
    "role.branch": "第 {index} 村党支部",
    "role.government": "镇政府",
    "debrief": "复盘：我们的镇与模型的镇（同一随机种子，同样的人）",
    "outcome": "去年",
    "class_town": "我们的镇",
    "model_town": "模型的镇",
    "difference_map": "两镇的不同之处",
    "difference": "差别",
    "help.debrief": "我们的镇：全班为其中的农户、合作社和政府做决定。模型的镇：同一个镇，"
    "所有决定都交给模型。▲ 我们的镇更好，▼ 更差。",
    "help.difference_map": "两镇的不同之处：在我们的镇里耕种方式不同的地块，用它在我们镇里的颜色；"
    "灰色：两镇相同。加框的是学生的地块。",
    "roles_result": "每个角色的结果",
    "result.household": "{who}：去年在我们的镇收入 {income:,.0f} 元，在模型的镇 {model:,.0f} 元"
    "（{diff:+,.0f}）；{plots} 块地中 {idle} 块撂荒（模型：{model_idle} 块）。",
    "result.branch": "{who}：合作社经营 {area:,.0f} 亩，{members} 户社员，利润 {profit:,.0f} 元"
    "（模型的镇：{model_area:,.0f} 亩，{model_members} 户，{model_profit:,.0f} 元）。",
    "result.branch_none": "{who}：我们的镇里没有在运营的合作社（模型的镇：{model_area:,.0f} 亩，"
    "{model_members} 户社员）。",
    "result.government": "{who}：补贴每亩 {subsidy:,.0f} 元，补贴 {years} 年，每年审计概率 "
    "{audit:.0%}；撂荒土地 {abandoned:.1%}（模型的镇：{model_abandoned:.1%}）。",
    "result.model_years": "有 {n} 年由模型替其决定。",
    "download": "下载结果（表格、决策记录、来源信息）",
    "join_title": "加入课堂",
    "your_name": "你的名字",
    "code": "课堂代码",
    "i_play": "我想扮演",
    "wish.household": "一户农户",
    "wish.branch": "村党支部书记",
    "wish.government": "镇政府",
    "wish_help.household": "一个农民家庭：每年决定自家每块地怎么用。",
    "wish_help.branch": "你负责本村的合作社：利益分配方式、保底租金和社员的利润分成"
    "（每村一人；名额已满则扮演农户）。",
    "wish_help.government": "你决定给合作社的补贴和审计的频率（每班一人；名额已满则扮演农户）。",
    "join": "加入",
    "you_are": "{name}：你是{role}",
    "seat_freed": "老师已释放你在本课堂的座位：请重新加入。",
    "ended": "课堂已结束，谢谢！",
    "all_played": "所有年份都已完成：老师将展示复盘。",
    "died_out": "你的农户已消亡；请观察全镇。",
    "members": "你的家庭",
    "member": "{age} 岁",
    "list_sep": "、",
    "member_away": "{age} 岁（在城里打工）",
    "field_days": "今年全家能干的农活工日：{days:.0f}（约够种 {n} 块平地；坡地更费工）",
    "leased_in": "你耕种农户 {who} 的地块 {plot}，每亩每年租金 {rent:,.0f} 元。",
    "leased_in_kin": "你耕种亲戚家（农户 {who}）的地块 {plot}，不收租金。",
    "income": "去年的收入（元）",
    "income_total": "合计：你家的净收入",
    "no_income": "还没有收入。",
    "decide_plots": "今年：每块地怎么用",
    "your_plots_map": "你的地块（白框标出）",
    "plot_label": "地块 {plot} · {mu:g} 亩 · {terrain} · 地力 {q}",
    "flat": "平地",
    "hilly": "坡地",
    "still_leased": "还要流转 {n} 年：今年没有可决定的。",
    "years_n": "{n} 年",
    "years_range": "{lo} 到 {hi} 年",
    "help.keep": "自家耕种：卖粮归你，种子、化肥、农机费用由你付；"
    "要花农活工日（自己干活不算工钱）。",
    "help.lease": "想要这块地的亲戚优先，不收租金（亲戚之间互相帮忙）；否则出价最高的农户付租金；"
    "没人出价就撂荒。期限 {years}。",
    "help.coop": "合作社耕种，付给你保底租金和利润分成（{rule}）；"
    "收成抵不上付款和成本的地，合作社不收。期限 {years}。",
    "help.custody": "服务公司按价代耕，收成归你；公司满员时这块地就撂荒。期限 1 年。",
    "note.keep": "约 {net:,.0f} 元 · {days:.0f} 个工日",
    "note.lease": "租金约 {rent:,.0f} 元",
    "note.lease_kin": "租金约 {rent:,.0f} 元，或免租给亲戚",
    "note.coop": "保底 {base:,.0f} 元 + 分红约 {bonus:,.0f} 元",
    "note.custody": "付 {price:,.0f} 元，收成归你：约 {net:,.0f} 元",
    "last.own": "去年：自家耕种。",
    "last.own_fallback": "去年：你拿出来了，但没人要，最后还是自家种了。",
    "last.lease": "去年：转包给农户 {who}，每亩租金 {rent:,.0f} 元。",
    "last.lease_kin": "去年：免租借给亲戚（农户 {who}）。",
    "last.coop": "去年：入社，合作社为这块地付给你保底 {paid:,.0f} 元，另有分红。",
    "last.custody": "去年：服务公司托管耕种，收成归你。",
    "last.idle_kept_no_days": "去年：撂荒。你留着自己种，但家里已经没有工日去种它。",
    "last.idle_no_bid": "去年：撂荒。你拿出来转包，但没有农户出价：有空闲劳力的人"
    "都不愿付出比它对你更高的价钱。",
    "last.idle_coop_refused": "去年：撂荒。你交给合作社，但合作社没有收。",
    "last.idle_firm_full": "去年：撂荒。服务公司已经满员，没能托管。",
    "last.idle_unused": "去年：撂荒，没人耕种。",
    "lease_runs": "流转还有 {n} 年。",
    "days_kept": "你留下自己种的地需要 {need} 个工日，你家有 {have} 个。",
    "choice.keep": "自己种",
    "choice.lease": "转包给农户",
    "choice.coop": "入社",
    "choice.custody": "托管",
    "engage": "参加合作社的会议",
    "engage_help": "仅限社员（有地在合作社）。来开会的社员会查账：合作社流失的钱更少，分红更多。"
    "在这里不花你任何代价。",
    "submit": "提交我的决定",
    "acknowledged": "已收到你第 {year} 年的决定。",
    "not_decided": "尚未决定：时间到了由模型替你决定。",
    "rejected": "被拒绝：{msg}",
    "village_now": "你的村（第 {village} 村）去年情况",
    "village_figures": "{households} 户，{mu:,.0f} 亩；撂荒 {idle:.0%}，转包给农户 {leased:.0%}，"
    "合作社经营 {coop:.0%}。",
    "no_coop_now": "本村没有合作社。",
    "coop_now": "你的合作社（{rule}）：{status}，第 {year} 年成立。",
    "status.active": "正常运营",
    "status.empty_shell": "空壳社（已经失败）",
    "coop.area": "经营的土地（亩）",
    "coop.members": "社员户数",
    "coop.engaged": "参加会议的社员",
    "coop.revenue": "销售收入（元）",
    "coop.subsidy": "收到的补贴（元）",
    "coop.leakage": "流失的钱（元）",
    "coop.profit": "利润（元）",
    "coop.reserve": "公积金（元）",
    "help.profit": "利润是合作社付完成本、社员保底租金、工钱和流失的钱之后剩下的（含补贴）；"
    "亏损由公积金弥补或借款。利润按下面的方式分配。",
    "branch_decide": "你的决定：合作社的条件",
    "branch_found": "今年成立合作社",
    "help.found": "新成立的合作社从镇里得到启动资金，从下一年开始收地。",
    "benefit_rule": "利益分配方式",
    "help.rule.fixed_rent": "社员每亩得固定租金，不分利润。",
    "help.rule.guaranteed_dividend": "社员每亩得保底租金，另按土地股份分红。",
    "help.rule.shareholding": "没有保底：社员按土地股份分利润。",
    "help.rule.guaranteed_rebate": "社员每亩得保底租金，另按为合作社干活的天数二次返利。",
    "guaranteed_rent": "保底租金（元/亩/年）",
    "fixed_rent": "固定租金（元/亩/年）",
    "member_share": "社员的利润分成",
    "help.guaranteed_rent": "不论收成都要付：保底越高，收到的地越多，但合作社的利润越少。",
    "help.fixed_rent": "不论收成都要付；利润全部留在合作社。",
    "help.member_share": "其余利润：{reserve:.0%} 进公积金，{collective:.0%} 归村集体。",
    "branch_when": "你定的条件用于今年的收成；农户明年做决定时会看到。",
    "gov_last_year": "去年",
    "gov_figures": "镇政府给合作社 {subsidies:,.0f} 元（启动资金和补贴），共支出 {spent:,.0f} 元；"
    "审计了 {audited} 个合作社；{coops} 个合作社在运营。",
    "gov_decide": "你今年的决定",
    "subsidy_per_mu": "补贴（元/亩/年）",
    "subsidy_years": "补贴年数",
    "audit_rate": "审计概率（每年）",
    "help.subsidy_per_mu": "按合作社经营的每亩地发放：帮助新合作社付给社员，但靠补贴过日子的"
    "合作社在补贴结束后可能失败。",
    "help.subsidy_years": "合作社成立后可以领补贴的年数。",
    "help.audit_rate": "今年每个合作社被审计的概率：审计查出流失的钱，追回一部分，并告诉社员"
    "（信任随之变化）。",
    "gov_when": "你的政策从今年年初起生效。",
    "town_outcomes": "第 {year} 年全镇情况",
    "metric.abandonment_rate": "撂荒土地",
    "metric.household_income_mean": "户均收入（元/年）",
    "metric.household_income_65plus": "65岁以上户主收入（元/年）",
    "metric.participation_rate": "合作社参与率",
    "metric.coop_land_share": "合作社经营的土地",
    "metric.collective_income_mean": "村均集体收入（元/年）",
    "metric.coops_active": "运营中的合作社",
    "metric.coops_empty_shell": "空壳社",
    "metric.lease_rent_mean": "新签有租金流转的租金（元/亩）",
    "src.crop_sales": "卖粮收入",
    "src.input_costs": "种子、化肥、农机",
    "src.rent_in": "收到的租金",
    "src.rent_out": "付出的租金",
    "src.rent": "租金",
    "src.custody_fee": "托管费",
    "src.coop_base": "合作社保底租金",
    "src.coop_bonus": "合作社分红 / 返利",
    "src.coop_wage": "合作社务工收入",
    "src.local_wage": "本地打工收入",
    "src.remittance": "城里家人寄回的钱",
    "src.pension": "养老金",
    "src.hired_labour": "雇工费用",
    "src.farmland_subsidy": "耕地地力保护补贴",
    "err.name_text": "名字必须是文字",
    "err.name_empty": "请输入你的名字",
    "err.name_long": "名字最多 {n} 个字符",
    "err.name_taken": "“{name}” 已在另一个浏览器中加入课堂 {code}（或有一个看起来相同的名字）："
    "要回到那里，请重新打开你自己的页面；否则请换一个名字加入，或请老师释放该座位",
    "err.browser_taken": "这个浏览器在本课堂中已扮演“{name}”",
    "err.full": "课堂已满（{n} 个座位）：请告诉老师",
    "err.too_many_joins": "刚才加入本课堂的学生太多；请 {s} 秒后再试",
    "err.no_household": "镇上的每户农户都已有学生扮演",
    "err.nobody": "课堂 {code} 中没有名叫“{name}”的学生",
    "err.size": "课堂人数必须是 {lo} 到 {hi} 之间的整数（不少于已入座的学生），收到 {value}",
    "err.ended": "课堂已结束",
    "err.played": "课堂已进行完所有年份",
    "err.scenario": "未知情景“{name}”",
    "err.leases": "未知的流转期限设置“{value}”",
    "err.range": "{what}必须是 {lo} 到 {hi} 之间的整数，收到 {value}",
    "range.years": "进行的年数",
    "range.seconds": "每轮秒数",
    "range.seed": "随机种子",
    "range.class_size": "课堂人数",
    "err.too_many_classes": "本服务器上的课堂太多；请先结束一个",
    "err.no_class": "没有代码为“{code}”的课堂",
    "err.not_teacher": "这个地址不是本课堂的教师地址（请在教师的浏览器中用教师链接打开）",
    "err.not_a_decision": "这不是本页面会发送的决定：{why}",
    "err.unexpected": "服务器无法读取这个决定",
    "err.keys": "农户只决定地块和是否参加会议",
    "err.not_your_plot": "地块 {plot} 不是你家的地",
    "err.plot_leased": "地块 {plot} 今年还在流转期内",
    "err.not_open": "地块 {plot}：今年你家不能选“{choice}”",
    "err.too_many_kept": "你家今年有 {have:.0f} 个工日；留下这 {n} 块地自己种需要 {need:.0f} 个："
    "请放出一些",
    "err.lever": "这个决定超出了允许的范围",
    "err.rule": "这个决定不符合规则",
    "why.plots": "决定必须把地块编号对应到选项",
    "why.plot": "地块必须是整数，收到 {plot}",
    "why.choice": "选项必须是页面提供的选项之一，收到 {choice}",
    "why.engage": "是否参加会议必须是“是”或“否”",
    "why.keys": "农户只决定地块和是否参加会议",
    "set_size": "设置",
    "free_seat": "释放座位",
    "free_seat_of": "要释放座位的学生",
    "freed": "{name} 的座位已释放：他们可以重新加入。",
    "show_teacher_link": "在另一台设备上使用的教师链接（不要投影）",
    "teacher_link_is": "在你的另一台设备上打开它；它含有你的钥匙，请保密：",
    "closing_year": "正在结束这一年…",
}

TEXT: dict[str, dict[str, str]] = {"en": _EN, "zh": _ZH}


def t(key: str, lang: str, **values) -> str:
    """The label ``key`` in ``lang``, formatted with ``values``; the app's own labels
    (rule names, outcomes, scenario titles) when the key is not a classroom one."""
    table = TEXT.get(lang, TEXT["en"])
    if key in table:
        return table[key].format(**values) if values else table[key]
    return app_tr(key, lang, **values)
