import json as jsonlib
import platform

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from portal.bench import BENCHMARKS, run
from portal.bench.goals import issue_15
from portal.bench.trust import bench_trust
from portal.bench.trust_data import TrustScale

_FULL = TrustScale()


class Command(BaseCommand):
    help = (
        "Run the benchmarks and print their figures (one JSON object with --json). "
        "--scale trust adds every page measured for one school among a trust's 50 (10,000 posts and "
        "500 pupils each), committed to a scratch database and ANALYZEd; building it takes a minute or "
        "two on PostgreSQL. For a fast smoke run: --scale trust --only trust --schools 3 --posts-per-school 300 "
        "--pupils-per-school 60 --repeats 3."
    )

    def add_arguments(self, parser):
        parser.add_argument("--quick", action="store_true", help="Smaller inputs and fewer repeats.")
        parser.add_argument("--json", action="store_true", help="Print one JSON object and nothing else.")
        parser.add_argument(
            "--scale",
            choices=["default", "trust"],
            default="default",
            help="trust: also measure every page at the scale of a trust (a scratch database of its own).",
        )
        parser.add_argument(
            "--only",
            nargs="+",
            choices=[*BENCHMARKS, "trust"],
            metavar="NAME",
            help=f"Run only these benchmarks ({', '.join([*BENCHMARKS, 'trust'])}). 'trust' implies --scale trust.",
        )
        trust = parser.add_argument_group("trust scale")
        trust.add_argument("--schools", type=int, default=_FULL.schools, help="Schools in the trust (50).")
        trust.add_argument(
            "--posts-per-school", type=int, default=_FULL.posts_per_school, help="Posts at each school (10,000)."
        )
        trust.add_argument(
            "--pupils-per-school", type=int, default=_FULL.pupils_per_school, help="Pupils at each school (500)."
        )
        trust.add_argument("--repeats", type=int, default=20, help="Timed requests of each page (20).")
        trust.add_argument(
            "--reuse",
            action="store_true",
            help="Keep the scratch database afterwards, and measure the one kept last time if it was built "
            "less than a day ago at the same scale (skipping the build).",
        )

    def handle(self, *args, quick: bool, json: bool, scale: str, only, **options):
        with_trust = scale == "trust" or bool(only and "trust" in only)
        if with_trust:
            trust_scale = TrustScale(
                schools=options["schools"],
                posts_per_school=options["posts_per_school"],
                pupils_per_school=options["pupils_per_school"],
            )
            if trust_scale.schools < 1 or trust_scale.posts_per_school < 50 or trust_scale.pupils_per_school < 14:
                raise CommandError("A trust needs at least 1 school, 50 posts and 14 pupils a school.")
            if options["repeats"] < 1:
                raise CommandError("--repeats must be at least 1.")
        figures = {
            "machine": {
                "python": platform.python_version(),
                "database": connection.vendor,
                "quick": quick,
                "scale": "trust" if with_trust else "default",
            },
            **run(quick=quick, only=[name for name in only if name != "trust"] if only else None),
        }
        if with_trust:
            figures["trust"] = bench_trust(
                scale=trust_scale,
                repeats=options["repeats"],
                reuse=options["reuse"],
                log=lambda message: self.stderr.write(f"trust bench: {message}"),
            )
            figures["issue_15"] = issue_15(figures)
        if json:
            self.stdout.write(_dumps(figures))
            return
        rest = {name: value for name, value in figures.items() if name not in ("trust", "issue_15")}
        self.stdout.write(_dumps(rest, indent=2))
        if with_trust:
            self.stdout.write(_trust_table(figures["trust"]))
            self.stdout.write(_goals_table(figures["issue_15"]))


def _dumps(value, indent=None) -> str:
    return jsonlib.dumps(value, indent=indent, ensure_ascii=False)


def _trust_table(trust: dict) -> str:
    if "error" in trust:
        return "\nThe trust bench did not finish: " + trust["error"] + "\n" + "\n".join(trust.get("last_lines", []))
    build, school = trust["build"], trust["measured_school"]
    lines = [
        "",
        f"Trust scale on {trust['database']['vendor']}: {trust['scale']['schools']} schools; "
        f"measured at {school['name']} ({school['posts']:,} posts, {school['pupils']:,} pupils), "
        f"{trust['repeats']} requests a page.",
        f"Data set {'reused' if trust['database']['reused'] else 'built'} in {build['seconds']} s "
        f"(migrate {build['migrate_s']} s): "
        + ", ".join(f"{count:,} {name.split('.')[-1]}" for name, count in build["rows"].items()),
        f"/healthz: {trust['healthz']['median_ms']:.1f} ms median, {trust['healthz']['queries']} queries "
        "(signed in as the headteacher, timed before each page request)",
        "",
        f"{'page':<28}{'status':>7}{'median ms':>11}{'p95 ms':>9}{'ratio':>7}{'goal':>7}{'met':>5}"
        f"{'queries':>9}{'SQL ms':>8}{'KB':>7}",
    ]
    for name, page in trust["pages"].items():
        lines.append(
            f"{name:<28}{page['status']:>7}{page['median_ms']:>11.1f}{page['p95_ms']:>9.1f}{page['ratio']:>6}×"
            f"{'≤' + format(page['goal']['ratio_max'], 'g') + '×':>7}{'yes' if page['met'] else 'no':>5}"
            f"{page['queries']:>9}{page['sql_ms']:>8.1f}{page['bytes'] / 1000:>7.0f}"
        )
    lines.append(f"Goals met: {trust['goals_met']}")
    return "\n".join(lines)


def _goals_table(rows: list[dict]) -> str:
    lines = ["", "Issue 15, figure by figure:"]
    for row in rows:
        met = {True: "met", False: "NOT met", None: ""}[row["met"]]
        lines.append(f"  {row['figure']:<52} goal {row['goal']:<26} measured {row['measured']:<40} {met}")
    return "\n".join(lines)
