"""The world `csm sample` simulates: its constants, and draws of every table as arrays.

Day numbers count days since 1970-01-01; OPEN stands for "no end" or "never".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from csmetrics_cli.sample.arrays import (
    OPEN,
    Arr,
    _add_months,
    _cumsum_in_group,
    _day_of_month,
    _expand,
    _rank_in_group,
    _sigmoid,
    _sorted_unique,
)

PLANS = ("starter", "growth", "pro", "enterprise")
PLAN_SHARE = (0.45, 0.30, 0.17, 0.08)
PLAN_PRICE = np.array([29.0, 79.0, 199.0, 899.0])
PLAN_SEATS_P = np.array([0.65, 0.5, 0.4, 0.45])  # geometric p for the starting quantity
PLAN_TRIAL = np.array([0.78, 0.66, 0.42, 0.12])
PLAN_INTERVALS = np.array(  # share of month / quarter / year billing per plan
    [[0.85, 0.10, 0.05], [0.65, 0.15, 0.20], [0.45, 0.15, 0.40], [0.10, 0.10, 0.80]]
)
PLAN_NPS = np.array([-0.25, 0.0, 0.25, 0.6])
PLAN_TICKETS = np.array([0.7, 1.0, 1.3, 2.0])
PLAN_USERS = np.array([[1, 0.8], [2, 1.5], [3, 3.0], [6, 8.0]])  # fixed + Poisson mean
INTERVAL_MONTHS = np.array([1, 3, 12])
INTERVAL_NAMES = {1: "month", 3: "quarter", 12: "year"}
INTERVAL_DISCOUNT = {1: 1.0, 3: 0.95, 12: 0.85}
ADDON_PRICE = np.array([19.0, 49.0, 99.0, 149.0])

REGIONS = ("NA", "EMEA", "APAC", "LATAM")
REGION_SHARE = (0.45, 0.30, 0.15, 0.10)
REGION_HOUR_UTC = np.array([17.0, 11.0, 4.0, 15.0])  # busiest hour of the working day, in UTC
OWNERS = (
    "Alex Rivera",
    "Priya Shah",
    "Jordan Lee",
    "Maria Gonzalez",
    "Tom Becker",
    "Aiko Tanaka",
    "Sam Okafor",
)
INDUSTRIES = (
    "Software",
    "Financial Services",
    "Healthcare",
    "Retail",
    "Manufacturing",
    "Education",
    "Media",
    "Logistics",
)
FEATURES = ("dashboards", "reports", "alerts", "exports", "integrations", "api")
FEATURE_ADOPT_LOGIT = np.array([9.0, 1.5, 0.0, -0.2, -0.6, -1.6])
FEATURE_PLAN_BOOST = np.array(  # extra adoption logit per plan (rows) and feature (columns)
    [
        [0, 0, -0.3, 0, -0.8, -1.5],
        [0, 0, 0, 0, 0, -0.3],
        [0, 0.3, 0.3, 0, 0.8, 1.2],
        [0, 0.5, 0.5, 0.3, 1.2, 2.0],
    ]
)
FEATURE_WEIGHT = np.array([5.0, 3.0, 1.5, 1.0, 1.0, 2.0])
FEATURE_DISCOVERY_DAYS = np.array([0.0, 10.0, 30.0, 25.0, 45.0, 60.0])
EVENT_NAMES = (
    ("dashboard_viewed", "dashboard_created"),
    ("report_viewed", "report_created"),
    ("alert_triggered", "alert_created"),
    ("export_downloaded", "export_scheduled"),
    ("integration_synced", "integration_connected"),
    ("api_request", "api_key_created"),
)
SURVEY_TYPES = ("nps", "csat", "ces")
COST_CATEGORIES = ("acquisition", "retention", "other")
TICKET_CHANNELS = ("email", "chat", "phone")
STEPS = ("account_setup", "invite_team", "connect_data", "first_report", "go_live")
STEP_DUE_DAYS = np.array([1, 3, 7, 14, 30])
STEP_LOGIT = np.array([3.5, 1.7, 1.3, 1.8, 1.4])
STEP_DELAY_DAYS = np.array([0.3, 2.0, 4.0, 3.0, 8.0])

NAME_HEAD = (
    "Acme", "Apex", "Atlas", "Beacon", "Blue Harbor", "Bright", "Cedar", "Clearwater", "Copper",
    "Crest", "Delta", "Echo", "Evergreen", "Falcon", "Granite", "Helix", "Indigo", "Ironwood",
    "Juniper", "Keystone", "Lumen", "Maple", "Meridian", "Nimbus", "Northwind", "Nova", "Oakridge",
    "Orbit", "Pinecrest", "Pioneer", "Quartz", "Redwood", "Silverline", "Sterling", "Summit",
    "Tidal", "Vertex", "Willow", "Zenith", "Polaris",
)  # fmt: skip
NAME_BODY = (
    "Analytics", "Systems", "Labs", "Logistics", "Health", "Software", "Foods", "Energy",
    "Capital", "Media", "Robotics", "Retail", "Networks", "Bio", "Learning", "Partners", "Works",
    "Studio", "Cloud", "Data", "Security", "Mobility", "Design", "Manufacturing",
)  # fmt: skip
NAME_SUFFIX = ("Inc.", ", Inc.", "LLC", "Ltd", "GmbH", "Co.", "Group", "Corp.", "", "", "", "")
NAME_FOREIGN = (
    "Müller & Söhne GmbH",
    "Société Générale de Données",
    "Café Ñandú S.A.",
    "Øresund Data ApS",
    "Zürich Analytik AG",
    "São Paulo Logística Ltda",
)
NAME_INJECTION = ("=", "-", "@", "+")  # leading characters a spreadsheet would run as a formula

BASE_SHARE = 0.3  # customers created in the two years before the window
GROWTH = 1.5  # sign-ups at the end of the window are 1 + GROWTH times those at its start
MONTHLY_CHURN = 0.022
CHANGE_RATE = 0.04  # plan changes per customer-month
REACTIVATION = 0.2
ADDON_SHARE = 0.05
ACTIVE_DAY_P = 0.044  # daily probability that an average user is active
EVENTS_PER_DAY_EXTRA = 0.45
TICKETS_PER_MONTH = 0.2


@dataclass(frozen=True)
class _Window:
    """The data window as day numbers."""

    start: int  # first day, as days since 1970-01-01
    stop: int  # first day after the window


@dataclass
class _Customers:
    """Per-customer draws, indexed by customer number (C00001 is 0)."""

    n: int
    created: Arr
    health: Arr
    plan: Arr
    region: Arr
    owner: Arr
    industry: Arr
    names: list[str]
    has_trial: Arr
    paid_start: Arr  # OPEN when the customer never pays (inside the data)
    trial_row: Arr  # has a zero-MRR trial subscription
    interval: Arr  # months per billing period of the first paid subscription
    qty: Arr
    discount: Arr
    activated: Arr  # OPEN = never


@dataclass
class _Subs:
    """Subscription rows, plus the paid spells and billing chains they were cut from."""

    cust: Arr
    start: Arr
    end: Arr  # OPEN = running
    term_end: Arr  # OPEN = blank
    mrr: Arr
    plan: Arr  # -1 = add-on
    interval: Arr  # months; 0 = trial (no billing)
    status: Arr  # object array of labels
    chain: Arr  # billing chain (a spell or an add-on); -1 for trials
    spell_cust: Arr
    spell_start: Arr
    spell_end: Arr
    chain_start: Arr
    chain_end: Arr
    chain_months: Arr
    chain_cust: Arr


@dataclass
class _Activity:
    """Days a customer can use the product: trials and paid spells, clipped to the window."""

    cust: Arr
    a: Arr
    b: Arr
    leaves: Arr  # day the customer stops (churn or expired trial); OPEN when it stays


@dataclass
class _Tickets:
    """Ticket rows before formatting."""

    cust: Arr  # -1 = unknown requester
    created: Arr
    resolved: Arr  # OPEN = unresolved
    status: Arr
    channel: Arr
    replies: Arr
    reopens: Arr
    fcr: Arr  # 1 true, 0 false, -1 blank


@dataclass
class _Onboarding:
    """One row per cohort customer and step before formatting."""

    cust: Arr
    step: Arr
    completed: Arr  # OPEN = not done
    due: Arr


@dataclass
class _Invoices:
    """Invoice rows before formatting, in issue order."""

    cust: Arr
    issued: Arr
    amount: Arr
    status: Arr  # labels


@dataclass
class _Surveys:
    """Survey responses before formatting, in answer order."""

    cust: Arr  # -1 = anonymous
    kind: Arr  # index into SURVEY_TYPES
    score: Arr
    day: Arr


@dataclass
class _Events:
    """Product events before formatting, each account's events together in time order."""

    n_users: int
    ts: Arr  # seconds since 1970-01-01
    user: Arr
    cust: Arr
    event: Arr  # index into the flattened EVENT_NAMES
    feature: Arr  # index into FEATURES


@dataclass
class _Costs:
    """One row per month and cost category before formatting."""

    month: Arr  # first day of the month
    category: Arr  # index into COST_CATEGORIES
    amount: Arr


def _draw_customers(rng: np.random.Generator, n: int, w: _Window) -> _Customers:
    """Sign-up dates with growth, segments, the latent health, trials and activation."""
    n_base = round(n * BASE_SHARE)
    base = rng.integers(w.start - 730, w.start, n_base)
    u = rng.random(n - n_base)
    t = (np.sqrt(1 + 2 * GROWTH * u * (1 + GROWTH / 2)) - 1) / GROWTH  # inverse CDF of 1 + g t
    created = np.sort(np.concatenate([base, w.start + (t * (w.stop - w.start)).astype(np.int64)]))
    health = rng.standard_normal(n)
    plan = rng.choice(4, n, p=PLAN_SHARE)
    has_trial = rng.random(n) < PLAN_TRIAL[plan]
    converts = ~has_trial | (rng.random(n) < _sigmoid(1.1 + 1.1 * health))
    delay = np.where(rng.random(n) < 0.75, 0, rng.integers(1, 22, n))
    paid_start = np.where(has_trial, created + 14, created) + delay
    paid_start = np.where(converts & (paid_start < w.stop), paid_start, OPEN)
    trial_row = has_trial & (rng.random(n) < np.where(converts, 0.35, 0.5))
    cum = PLAN_INTERVALS[plan].cumsum(axis=1)
    interval = INTERVAL_MONTHS[(rng.random(n)[:, None] > cum).sum(axis=1).clip(0, 2)]
    qty = rng.geometric(PLAN_SEATS_P[plan])
    discount = rng.choice([1.0, 1.0, 1.0, 0.9, 0.8], n)
    activates = rng.random(n) < _sigmoid(np.where(converts, 3.3, 0.3) + health)
    act_delay = np.where(
        rng.random(n) < 0.75,
        rng.geometric(0.35, n) - 1,
        7 + rng.exponential(25, n).astype(np.int64),
    )
    activated = np.where(activates, created + act_delay, OPEN)
    activated = np.where(activated < w.stop, activated, OPEN)
    return _Customers(
        n=n,
        created=created,
        health=health,
        plan=plan,
        region=rng.choice(4, n, p=REGION_SHARE),
        owner=rng.integers(0, len(OWNERS), n),
        industry=rng.integers(0, len(INDUSTRIES), n),
        names=_company_names(rng, n),
        has_trial=has_trial,
        paid_start=paid_start,
        trial_row=trial_row,
        interval=interval,
        qty=qty,
        discount=discount,
        activated=activated,
    )


def _company_names(rng: np.random.Generator, n: int) -> list[str]:
    """Plausible company names, a few foreign ones and ~0.5% that look like formulas."""
    head = rng.integers(0, len(NAME_HEAD), n)
    body = rng.integers(0, len(NAME_BODY), n)
    suffix = rng.integers(0, len(NAME_SUFFIX), n)
    kind = rng.random(n)
    special = rng.integers(0, 1_000_000, n)
    names = []
    for i in range(n):
        sfx = NAME_SUFFIX[suffix[i]]
        name = f"{NAME_HEAD[head[i]]} {NAME_BODY[body[i]]}"
        name = name + sfx if sfx.startswith(",") else f"{name} {sfx}".rstrip()
        if kind[i] < 0.005:
            char = NAME_INJECTION[special[i] % len(NAME_INJECTION)]
            name = f'=HYPERLINK("http://example.com","{name}")' if char == "=" else char + name
        elif kind[i] < 0.015:
            name = NAME_FOREIGN[special[i] % len(NAME_FOREIGN)]
        names.append(name)
    return names


def _draw_subscriptions(rng: np.random.Generator, c: _Customers, w: _Window) -> _Subs:
    """Paid spells with churn, comebacks, mid-month plan changes, annual terms, trials, add-ons."""
    hazard = np.clip(MONTHLY_CHURN * np.exp(-0.75 * c.health), 0.002, 0.2)

    # first paid spell per paying customer, then a comeback for some of the churned
    s1 = np.flatnonzero(c.paid_start < w.stop)
    end1 = _spell_end(rng, c.paid_start[s1], c.interval[s1], hazard[s1], w.stop)
    back = (end1 < OPEN) & (rng.random(len(s1)) < REACTIVATION)
    start2 = end1 + 30 + rng.exponential(150, len(s1)).astype(np.int64)
    back &= start2 < w.stop
    s2 = s1[back]
    m2 = np.where(rng.random(len(s2)) < 0.75, 1, c.interval[s2])
    end2 = _spell_end(rng, start2[back], m2, hazard[s2], w.stop)
    sp_cust = np.concatenate([s1, s2])
    sp_start = np.concatenate([c.paid_start[s1], start2[back]])
    sp_end = np.concatenate([end1, end2])
    sp_m = np.concatenate([c.interval[s1], m2])
    order = np.lexsort((sp_start, sp_cust))
    sp_cust, sp_start, sp_end, sp_m = sp_cust[order], sp_start[order], sp_end[order], sp_m[order]
    n_sp = len(sp_cust)
    eff_end = np.minimum(sp_end, w.stop)
    length = eff_end - sp_start

    # renewals of annual contracts cut a spell into one row per term
    n_ann = np.where(sp_m == 12, length // 365 + 1, 0)
    an_sp, k = _expand(n_ann)
    an_day = _add_months(sp_start[an_sp], 12 * (k + 1))
    keep = an_day < eff_end[an_sp]
    an_sp, an_day = an_sp[keep], an_day[keep]

    # upgrades and downgrades on mid-month days: end one row and start the next the same day
    n_ch = np.minimum(rng.poisson(CHANGE_RATE * np.maximum(length - 60, 0) / 30.44), 3)
    ch_sp, _ = _expand(n_ch)
    ch_day = sp_start[ch_sp] + 15 + (rng.random(len(ch_sp)) * (length[ch_sp] - 30)).astype(np.int64)
    ch_day += _day_of_month(ch_day) == 1
    ch_key = _sorted_unique(ch_sp * OPEN + ch_day)
    ch_key = ch_key[~np.isin(ch_key, an_sp * OPEN + an_day)]
    ch_sp, ch_day = ch_key // OPEN, ch_key % OPEN
    ch_rank = _rank_in_group(ch_sp)
    plan_now, qty_now = c.plan[sp_cust].copy(), c.qty[sp_cust].copy()
    ch_plan, ch_qty = np.zeros(len(ch_sp), np.int64), np.zeros(len(ch_sp), np.int64)
    z = c.health[sp_cust]
    for j in range(int(ch_rank.max(initial=-1)) + 1):
        sel = np.flatnonzero(ch_rank == j)
        sp = ch_sp[sel]
        p, q = plan_now[sp], qty_now[sp]
        up = rng.random(len(sel)) < _sigmoid(0.3 + 0.9 * z[sp])
        tier = rng.random(len(sel)) < 0.35
        new_p = np.where(up & tier & (p < 3), p + 1, np.where(~up & tier & (p > 0), p - 1, p))
        bump = np.maximum(1, np.rint(q * rng.uniform(0.2, 0.7, len(sel)))).astype(np.int64)
        cut = np.maximum(1, np.rint(q * rng.uniform(0.2, 0.5, len(sel)))).astype(np.int64)
        new_q = np.where(new_p != p, q, np.where(up, q + bump, np.maximum(1, q - cut)))
        ch_plan[sel], ch_qty[sel] = new_p, new_q
        plan_now[sp], qty_now[sp] = new_p, new_q
    first_change = ch_rank == 0
    prev_plan = np.where(first_change, c.plan[sp_cust[ch_sp]], np.r_[0, ch_plan[:-1]])
    prev_qty = np.where(first_change, c.qty[sp_cust[ch_sp]], np.r_[0, ch_qty[:-1]])
    noop = (ch_plan == prev_plan) & (ch_qty == prev_qty)
    ch_sp, ch_day, ch_plan, ch_qty = ch_sp[~noop], ch_day[~noop], ch_plan[~noop], ch_qty[~noop]

    # rows: every start, change and renewal point of a spell opens a row
    pt_sp = np.concatenate([np.arange(n_sp), ch_sp, an_sp])
    pt_day = np.concatenate([sp_start, ch_day, an_day])
    pt_kind = np.concatenate(
        [np.zeros(n_sp, np.int64), np.ones(len(ch_sp), np.int64), np.full(len(an_sp), 2)]
    )
    order = np.lexsort((pt_day, pt_sp))
    pt_sp, pt_day, pt_kind = pt_sp[order], pt_day[order], pt_kind[order]
    last = np.r_[pt_sp[1:] != pt_sp[:-1], True]
    row_end = np.where(last, sp_end[pt_sp], np.r_[pt_day[1:], 0])
    n_changes = _cumsum_in_group(pt_sp, pt_kind == 1)
    n_terms = _cumsum_in_group(pt_sp, pt_kind == 2)
    state = np.searchsorted(ch_sp, pt_sp) + n_changes - 1
    changed = n_changes > 0
    state_c = np.clip(state, 0, max(len(ch_sp) - 1, 0))
    row_plan = np.where(changed, ch_plan[state_c] if len(ch_sp) else 0, c.plan[sp_cust[pt_sp]])
    row_qty = np.where(changed, ch_qty[state_c] if len(ch_sp) else 0, c.qty[sp_cust[pt_sp]])
    row_m = sp_m[pt_sp]
    disc = np.select([row_m == 12, row_m == 3], [INTERVAL_DISCOUNT[12], INTERVAL_DISCOUNT[3]], 1.0)
    row_mrr = np.round(PLAN_PRICE[row_plan] * row_qty * disc * c.discount[sp_cust[pt_sp]], 2)
    next_kind = np.r_[pt_kind[1:], 0]
    next_mrr = np.r_[row_mrr[1:], 0.0]
    status = np.select(
        [
            last & (row_end < OPEN),
            last,
            (next_kind == 1) & (next_mrr > row_mrr),
            next_kind == 1,
        ],
        ["canceled", "active", "upgraded", "downgraded"],
        "renewed",
    ).astype(object)
    term_end = np.where(row_m == 12, _add_months(sp_start[pt_sp], 12 * (n_terms + 1)), OPEN)

    # zero-MRR trial subscriptions
    tr = np.flatnonzero(c.trial_row)
    tr_end = c.created[tr] + 14
    tr_status = np.where(
        tr_end >= w.stop, "trialing", np.where(c.paid_start[tr] < w.stop, "converted", "expired")
    ).astype(object)

    # add-ons: a second, concurrent subscription during a customer's first spell
    first = np.r_[True, sp_cust[1:] != sp_cust[:-1]]
    ad_sp = np.flatnonzero(first & (length > 120) & (rng.random(n_sp) < ADDON_SHARE))
    ad_start = (
        sp_start[ad_sp] + 30 + (rng.random(len(ad_sp)) * (length[ad_sp] - 60)).astype(np.int64)
    )
    early = (
        ad_start + 60 + (rng.random(len(ad_sp)) * (eff_end[ad_sp] - ad_start - 60)).astype(np.int64)
    )
    ad_end = np.where(
        (rng.random(len(ad_sp)) < 0.35) & (early < eff_end[ad_sp]), early, sp_end[ad_sp]
    )
    ad_mrr = rng.choice(ADDON_PRICE, len(ad_sp))

    n_tr, n_ad = len(tr), len(ad_sp)
    chain = np.concatenate([pt_sp, np.full(n_tr, -1), n_sp + np.arange(n_ad)])
    return _Subs(
        cust=np.concatenate([sp_cust[pt_sp], tr, sp_cust[ad_sp]]),
        start=np.concatenate([pt_day, c.created[tr], ad_start]),
        end=np.concatenate([row_end, tr_end, ad_end]),
        term_end=np.concatenate([term_end, np.full(n_tr + n_ad, OPEN)]),
        mrr=np.concatenate([row_mrr, np.zeros(n_tr), ad_mrr]),
        plan=np.concatenate([row_plan, c.plan[tr], np.full(n_ad, -1)]),
        interval=np.concatenate([row_m, np.zeros(n_tr, np.int64), np.ones(n_ad, np.int64)]),
        status=np.concatenate(
            [status, tr_status, np.where(ad_end < OPEN, "canceled", "active").astype(object)]
        ),
        chain=chain,
        spell_cust=sp_cust,
        spell_start=sp_start,
        spell_end=sp_end,
        chain_start=np.concatenate([sp_start, ad_start]),
        chain_end=np.concatenate([sp_end, ad_end]),
        chain_months=np.concatenate([sp_m, np.ones(n_ad, np.int64)]),
        chain_cust=np.concatenate([sp_cust, sp_cust[ad_sp]]),
    )


def _spell_end(rng: np.random.Generator, start: Arr, months: Arr, hazard: Arr, stop: int) -> Arr:
    """Churn at the end of a billing period: a geometric number of periods per spell."""
    p_period = 1 - (1 - hazard) ** months
    periods = np.minimum(rng.geometric(p_period), 1200 // months)
    end = _add_months(start, periods * months)
    return np.where(end < stop, end, OPEN)


def _activity(c: _Customers, s: _Subs, w: _Window) -> _Activity:
    """Trial and paid intervals inside the window; `leaves` marks the day a customer goes."""
    tr = np.flatnonzero(c.has_trial)
    tr_b = np.minimum(c.created[tr] + 14, c.paid_start[tr])
    tr_leaves = np.where(c.paid_start[tr] < OPEN, OPEN, tr_b)
    cust = np.concatenate([tr, s.spell_cust])
    a = np.maximum(np.concatenate([c.created[tr], s.spell_start]), w.start)
    b = np.minimum(np.concatenate([tr_b, s.spell_end]), w.stop)
    leaves = np.concatenate([tr_leaves, s.spell_end])
    keep = a < b
    order = np.lexsort((a[keep], cust[keep]))
    return _Activity(cust[keep][order], a[keep][order], b[keep][order], leaves[keep][order])


def _spell_at(s: _Subs, cust: Arr, day: Arr) -> tuple[Arr, Arr]:
    """Start and end of the paid spell of `cust` covering `day`; OPEN for both when none does."""
    if not len(s.spell_cust):
        return np.full(len(day), OPEN), np.full(len(day), OPEN)
    sp = np.searchsorted(s.spell_cust * OPEN + s.spell_start, cust * OPEN + day, side="right") - 1
    spc = np.maximum(sp, 0)
    hit = (sp >= 0) & (s.spell_cust[spc] == cust) & (day < s.spell_end[spc])
    return np.where(hit, s.spell_start[spc], OPEN), np.where(hit, s.spell_end[spc], OPEN)


def _decline(day: Arr, leaves: Arr, days: float = 90.0) -> Arr:
    """1 normally, falling towards 0 over the last `days` before a customer leaves."""
    return np.clip((leaves - day) / days, 0.0, 1.0)


def _draw_tickets(rng: np.random.Generator, c: _Customers, act: _Activity, w: _Window) -> _Tickets:
    """Support tickets: more for unhealthy and bigger customers, and a burst before churn."""
    rate = TICKETS_PER_MONTH * np.exp(-0.45 * c.health) * PLAN_TICKETS[c.plan]
    length = act.b - act.a
    n_base = rng.poisson(rate[act.cust] * length / 30.44)
    t_int, _ = _expand(n_base)
    day = act.a[t_int] + (rng.random(len(t_int)) * length[t_int]).astype(np.int64)
    # churners complain: extra tickets in their last 60 days
    lo = np.maximum(act.a, act.leaves - 60)
    burst = np.where((act.leaves < OPEN) & (lo < act.b), rng.poisson(0.8, len(act.a)), 0)
    b_int, _ = _expand(burst)
    b_day = lo[b_int] + (rng.random(len(b_int)) * (act.b[b_int] - lo[b_int])).astype(np.int64)
    cust = np.concatenate([act.cust[t_int], act.cust[b_int]])
    created = np.concatenate([day, b_day])
    n_anon = round(len(cust) * 0.02 / 0.98)
    cust = np.concatenate([cust, np.full(n_anon, -1)])
    created = np.concatenate([created, rng.integers(w.start, w.stop, n_anon)])
    order = np.lexsort((cust, created))
    cust, created = cust[order], created[order]
    n = len(cust)
    z = np.where(cust >= 0, c.health[np.maximum(cust, 0)], 0.0)

    channel = rng.choice(len(TICKET_CHANNELS), n, p=[0.5, 0.35, 0.15])
    one = rng.random(n) < np.where(channel == 1, 0.65, 0.5)
    replies = np.where(one, 1, 1 + rng.geometric(0.45, n))
    reopens = rng.choice(3, n, p=[0.87, 0.1, 0.03]) + (rng.random(n) < 0.05 * np.exp(-0.8 * z))
    speed = np.array([1.5, 0.2, 0.6])[channel]
    days = rng.exponential(speed) + 0.4 * (replies - 1) + 3 * reopens
    resolved = created + days.astype(np.int64)
    stuck = (resolved >= w.stop) | (rng.random(n) < 0.004)
    resolved = np.where(stuck, OPEN, resolved)
    status = np.where(
        stuck,
        np.where(rng.random(n) < 0.6, "open", "pending"),
        np.where(resolved < w.stop - 5, "closed", "solved"),
    ).astype(object)
    fcr = ((replies == 1) & (reopens == 0) & ~stuck).astype(np.int64)
    fcr = np.where(rng.random(n) < 0.03, 1 - fcr, fcr)
    fcr = np.where(rng.random(n) < 0.2, -1, fcr)
    return _Tickets(cust, created, resolved, status, channel, replies, reopens, fcr)


def _draw_onboarding(rng: np.random.Generator, c: _Customers, w: _Window) -> _Onboarding:
    """Five ordered steps for customers created in the window; each step loses some customers."""
    cohort = np.flatnonzero(c.created >= w.start)
    k = len(STEPS)
    z = c.health[cohort][:, None]
    pays = (c.paid_start[cohort] < OPEN)[:, None]
    p = _sigmoid(STEP_LOGIT[None, :] + 0.9 * z + np.where(pays, 0.6, -1.2))
    done = np.logical_and.accumulate(rng.random((len(cohort), k)) < p, axis=1)
    delay = rng.exponential(STEP_DELAY_DAYS[None, :], (len(cohort), k)).cumsum(axis=1)
    completed = c.created[cohort][:, None] + delay.astype(np.int64)
    completed = np.where(done & (completed < w.stop), completed, OPEN)
    due = c.created[cohort][:, None] + STEP_DUE_DAYS[None, :]
    return _Onboarding(
        cust=np.repeat(cohort, k),
        step=np.tile(np.arange(k), len(cohort)),
        completed=completed.ravel(),
        due=due.ravel(),
    )


def _draw_invoices(rng: np.random.Generator, c: _Customers, s: _Subs, w: _Window) -> _Invoices:
    """One invoice per billing period of each paid chain, plus prorated upgrade invoices."""
    stop = np.minimum(s.chain_end, w.stop)
    months = s.chain_months
    n_max = (stop - s.chain_start) // (28 * months) + 2
    ch, j = _expand(n_max)
    issued = _add_months(s.chain_start[ch], j * months[ch])
    keep = issued < stop[ch]
    ch, issued = ch[keep], issued[keep]
    cycle_key = ch * OPEN + issued

    paid = np.flatnonzero(s.chain >= 0)
    row_key = s.chain[paid] * OPEN + s.start[paid]
    order = np.argsort(row_key, kind="stable")
    paid, row_key = paid[order], row_key[order]
    row = paid[np.searchsorted(row_key, cycle_key, side="right") - 1]
    amount = s.mrr[row] * months[ch]

    # an upgrade mid-period is charged for the rest of the period at the price difference
    same_chain = np.r_[False, s.chain[paid[1:]] == s.chain[paid[:-1]]]
    prev_mrr = np.r_[0.0, s.mrr[paid[:-1]]]
    is_up = same_chain & (s.mrr[paid] > prev_mrr)
    up, up_prev_mrr = paid[is_up], prev_mrr[is_up]
    up_key = s.chain[up] * OPEN + s.start[up]
    pos = np.searchsorted(cycle_key, up_key, side="right") - 1
    up_ch = s.chain[up]
    period_start = issued[pos]
    period_end = _add_months(period_start, months[up_ch])
    # an upgrade outside the matched cycle gets no pro-rated charge, never a negative one
    share = np.clip((period_end - s.start[up]) / (period_end - period_start), 0.0, 1.0)
    up_amount = (s.mrr[up] - up_prev_mrr) * months[up_ch] * share

    ch = np.concatenate([ch, up_ch])
    issued = np.concatenate([issued, s.start[up]])
    amount = np.round(np.concatenate([amount, up_amount]), 2)
    cust = s.chain_cust[ch]
    order = np.lexsort((cust, issued))
    ch, issued, amount, cust = ch[order], issued[order], amount[order], cust[order]
    n = len(ch)
    near_end = 1 - _decline(issued, s.chain_end[ch], 120.0)
    p_fail = np.clip(0.024 * np.exp(-0.7 * c.health[cust]) * (1 + 3 * near_end), 0, 0.5)
    r = rng.random(n)
    status = np.select(
        [r < p_fail, r < p_fail + 0.006, issued >= w.stop - 7],
        ["failed", "refunded", "open"],
        "paid",
    )
    return _Invoices(cust, issued, amount, status)


def _draw_surveys(
    rng: np.random.Generator,
    c: _Customers,
    s: _Subs,
    t: _Tickets,
    ob: _Onboarding,
    w: _Window,
) -> _Surveys:
    """Quarterly NPS from some paying customers; CSAT and CES after tickets; CES after go-live."""
    # NPS: each responding customer is asked every 91 days from its own phase
    takers = np.flatnonzero(rng.random(c.n) < 0.55)
    phase = rng.integers(0, 91, len(takers))
    n_asks = (w.stop - w.start - phase - 1) // 91 + 1
    who, k = _expand(n_asks)
    cust = takers[who]
    day = w.start + phase[who] + 91 * k + rng.integers(0, 6, len(who))
    sp_start, sp_end = _spell_at(s, cust, day)
    inside = (day >= sp_start + 30) & (day < w.stop) & (rng.random(len(day)) < 0.45)
    cust, day, leaves = cust[inside], day[inside], sp_end[inside]
    latent = (
        1.1 * c.health[cust]
        + PLAN_NPS[c.plan[cust]]
        - 1.5 * (1 - _decline(day, leaves, 120.0))
        + rng.standard_normal(len(cust))
    )
    nps = np.clip(np.rint(8.1 + 1.3 * latent), 0, 10).astype(np.int64)

    # CSAT and CES after resolved tickets from known customers
    resolved = np.flatnonzero((t.resolved < OPEN) & (t.cust >= 0))
    r = rng.random(len(resolved))
    cs = resolved[r < 0.35]
    ce = resolved[(r >= 0.35) & (r < 0.47)]
    cs_day = t.resolved[cs] + np.where(rng.random(len(cs)) < 0.6, 0, rng.integers(1, 4, len(cs)))
    wait = np.maximum(t.resolved[cs] - t.created[cs] - 2, 0)
    cs_latent = 0.7 * c.health[t.cust[cs]] - 0.8 * t.reopens[cs] - 0.15 * wait
    csat = np.clip(np.rint(4.5 + 0.9 * (cs_latent + 0.8 * rng.standard_normal(len(cs)))), 1, 5)
    live = np.flatnonzero((ob.step == len(STEPS) - 1) & (ob.completed < OPEN))
    live = live[rng.random(len(live)) < 0.4]
    ce_cust = np.concatenate([t.cust[ce], ob.cust[live]])
    ce_day = np.concatenate([t.resolved[ce], ob.completed[live]]) + rng.integers(0, 3, len(ce_cust))
    ce_latent = 0.6 * c.health[ce_cust] + rng.standard_normal(len(ce_cust))
    ces = np.clip(np.rint(5.4 + 1.1 * ce_latent), 1, 7)

    cust = np.concatenate([cust, t.cust[cs], ce_cust])
    day = np.concatenate([day, cs_day, ce_day])
    kind = np.repeat([0, 1, 2], [len(nps), len(cs), len(ce_cust)])
    score = np.concatenate([nps, csat, ces]).astype(np.int64)
    keep = day < w.stop
    cust, day, kind, score = cust[keep], day[keep], kind[keep], score[keep]
    cust = np.where(rng.random(len(cust)) < 0.05, -1, cust)  # anonymous responses
    order = np.lexsort((kind, cust, day))
    return _Surveys(cust[order], kind[order], score[order], day[order])


def _draw_events(rng: np.random.Generator, c: _Customers, act: _Activity, w: _Window) -> _Events:
    """Product usage: users per customer, active days by health and weekday, fading before churn."""
    n_users = PLAN_USERS[c.plan, 0].astype(np.int64) + rng.poisson(PLAN_USERS[c.plan, 1])
    u_cust, u_rank = _expand(n_users)
    first_user = np.cumsum(n_users) - n_users
    joined = c.created[u_cust] + np.where(
        u_rank == 0, 0, rng.exponential(45, len(u_cust)).astype(np.int64)
    )
    engagement = rng.lognormal(-0.18, 0.6, len(u_cust)) * np.where(u_rank == 0, 2.0, 1.0)
    p_day = np.clip(ACTIVE_DAY_P * engagement * np.exp(0.8 * c.health[u_cust]), 0, 0.9)

    # each user of a customer in each of the customer's activity intervals
    pair_int, pair_k = _expand(n_users[act.cust])
    pair_user = first_user[act.cust[pair_int]] + pair_k
    a = np.maximum(act.a[pair_int], joined[pair_user])
    length = np.maximum(act.b[pair_int] - a, 0)
    n_draw = rng.binomial(length, p_day[pair_user])
    pair, _ = _expand(n_draw)
    day = a[pair] + (rng.random(len(pair)) * length[pair]).astype(np.int64)
    weekend = (day + 3) % 7 >= 5
    fading = 0.1 + 0.9 * _decline(day, act.leaves[pair_int[pair]], 120.0)
    accept = np.where(weekend, 0.25, 1.0) * fading
    keep = rng.random(len(day)) < accept
    key = _sorted_unique(pair[keep] * OPEN + day[keep])
    pair, day = key // OPEN, key % OPEN
    del key, keep, accept, weekend

    n_events = 1 + rng.poisson(EVENTS_PER_DAY_EXTRA, len(day))
    ev, _ = _expand(n_events)
    user = pair_user[pair[ev]]
    cust = u_cust[user]
    day = day[ev]
    del ev, pair
    hour = REGION_HOUR_UTC[c.region[cust]] * 3600
    secs = np.mod(hour + rng.normal(0, 2.5 * 3600, len(day)), 86400).astype(np.int64)
    ts = day * 86400 + secs

    # features: a customer discovers each adopted feature some days after sign-up
    n_f = len(FEATURES)
    logit = FEATURE_ADOPT_LOGIT[None, :] + FEATURE_PLAN_BOOST[c.plan] + 0.8 * c.health[:, None]
    adopted = rng.random((c.n, n_f)) < _sigmoid(logit)
    discover = c.created[:, None] + rng.exponential(FEATURE_DISCOVERY_DAYS, (c.n, n_f)).astype(
        np.int64
    )
    discover = np.where(adopted, discover, OPEN)
    discover[:, 0] = c.created
    weight = np.where(adopted, FEATURE_WEIGHT[None, :], 0.0)
    weight[:, 0] = FEATURE_WEIGHT[0]
    cum = np.cumsum(weight / weight.sum(axis=1, keepdims=True), axis=1)
    edges = (np.arange(c.n)[:, None] + cum).ravel()
    pick = np.searchsorted(edges, cust + rng.random(len(cust)), side="right") - cust * n_f
    pick = np.clip(pick, 0, n_f - 1)
    pick = np.where(day >= discover[cust, pick], pick, 0)
    code = pick * 2 + (rng.random(len(pick)) < 0.15)

    # an account's events together in time order: as readable as a time-ordered stream, and
    # it compresses far better (the 1,500-customer folder stays under 8 MB with the workbook)
    span = (w.stop - w.start) * 86400
    order = np.argsort(cust * span + (ts - w.start * 86400), kind="stable")
    return _Events(len(u_cust), ts[order], user[order], cust[order], code[order], pick[order])


def _draw_costs(rng: np.random.Generator, c: _Customers, s: _Subs, w: _Window) -> _Costs:
    """Monthly acquisition (follows sign-ups), retention (follows paying customers), other."""
    months = np.arange(
        np.datetime64(w.start, "D").astype("datetime64[M]"),
        np.datetime64(w.stop - 1, "D").astype("datetime64[M]") + 1,
    )
    first = months.astype("datetime64[D]").astype(np.int64)
    nxt = (months + 1).astype("datetime64[D]").astype(np.int64)
    new = ((c.created[None, :] >= first[:, None]) & (c.created[None, :] < nxt[:, None])).sum(axis=1)
    paying = np.zeros(len(first), np.int64)
    pay = s.mrr > 0
    for i, d in enumerate(first):
        on = pay & (s.start <= d) & (s.end > d)
        paying[i] = len(np.unique(s.cust[on]))
    noise = rng.lognormal(0, 0.12, (3, len(first)))
    acquisition = (new * 420 + 1500) * noise[0]
    retention = (paying * 18 + 800) * noise[1]
    other = (paying * 9 + 1200) * noise[2]
    return _Costs(
        month=np.repeat(first, len(COST_CATEGORIES)),
        category=np.tile(np.arange(len(COST_CATEGORIES)), len(first)),
        amount=np.round(np.stack([acquisition, retention, other], axis=1).ravel(), 2),
    )
