"""Issue 15's figures beside their goals, read from what a `bench` run measured. A figure whose
benchmark did not run (or did not finish) is left out rather than shown as missed."""

from __future__ import annotations

PHOTO_RATIO_GOAL = 1.3
PUBLISH_P95_GOAL_MS = {"local": 1000, "x": 2000}


def issue_15(figures: dict) -> list[dict]:
    rows = []
    trust = figures.get("trust") or {}
    for name, page in (trust.get("pages") or {}).items():
        goal = f"≤ {page['goal']['ratio_max']:g}× /healthz"
        measured = f"{page['ratio']}× ({page['median_ms']:.0f} ms, {page['queries']} queries)"
        if "bytes_max" in page["goal"]:
            goal += f", < {page['goal']['bytes_max'] // 1000} KB"
            measured += f", {page['bytes'] / 1000:.0f} KB"
        if page["status"] != 200:
            measured = f"answered {page['status']}"
        rows.append({"figure": f"page: {name}", "goal": goal, "measured": measured, "met": page["met"]})
    rows.extend(_photo(figures.get("prepare_image") or {}))
    rows.extend(_publishing(figures.get("publishing") or {}))
    return rows


def _photo(prepare: dict) -> list[dict]:
    rows = []
    jpeg, heic = prepare.get("jpeg"), prepare.get("heic")
    if jpeg and "ratio" in jpeg:
        rows.append(
            {
                "figure": f"photo preparation, {jpeg.get('size', '')} JPEG",
                "goal": f"≤ {PHOTO_RATIO_GOAL}× bare Pillow",
                "measured": f"{jpeg['ratio']}×",
                "met": jpeg["ratio"] <= PHOTO_RATIO_GOAL,
            }
        )
    if heic and "ratio" in heic:
        rows.append(
            {
                "figure": f"photo preparation, {heic.get('size', '')} HEIC",
                "goal": "shown beside the JPEG",
                "measured": f"{heic['ratio']}×",
                "met": None,
            }
        )
    return rows


def _publishing(publishing: dict) -> list[dict]:
    rows = []
    for network, goal_ms in PUBLISH_P95_GOAL_MS.items():
        figures = publishing.get(network) or {}
        latency = figures.get("approve_to_published") or {}
        if "p95_ms" not in latency:
            continue
        rows.append(
            {
                "figure": f"approval to published, {figures.get('posts')} at once, {network}",
                "goal": f"p95 ≤ {goal_ms / 1000:g} s",
                "measured": f"p95 {latency['p95_ms'] / 1000:.2f} s ({figures.get('published_per_second')} posts/s)",
                "met": latency["p95_ms"] <= goal_ms,
            }
        )
        one_by_one = (figures.get("approved_one_by_one") or {}).get("approve_to_published") or {}
        if "p95_ms" in one_by_one:
            rows.append(
                {
                    "figure": f"approval to published, {figures.get('posts')} approved one by one, {network}",
                    "goal": f"p95 ≤ {goal_ms / 1000:g} s",
                    "measured": f"p95 {one_by_one['p95_ms'] / 1000:.2f} s",
                    "met": one_by_one["p95_ms"] <= goal_ms,
                }
            )
    return rows
