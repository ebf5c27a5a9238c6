"""`grader`: grade one submission or a whole class on the embedded default cluster."""

from __future__ import annotations

import json
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from grader.core.errors import GraderError
from grader.core.lab import default_lab_path, load_lab
from grader.core.report import Report, RunStatus
from grader.core.roster import parse_roster
from grader.history.deadline import DeadlinePolicy
from grader.pipeline.class_grading import find_submissions, flag_similar, write_scores_csv
from grader.pipeline.class_store import check_class, store_class
from grader.pipeline.session import GradingSession
from grader.render import markdown as md_render
from grader.render import terminal
from grader.render.summary import backend_line, headline
from grader.settings import Settings
from grader.store.roster import save_class_roster

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)
console = Console()
errors = Console(stderr=True)

Backend = Annotated[
    str | None,
    typer.Option(
        help="Grading cluster: auto (default: docker where it can run, else local), local "
        "or docker."
    ),
]
Deadline = Annotated[
    datetime | None,
    typer.Option(
        formats=["%Y-%m-%dT%H:%M%z", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d %H:%M%z"],
        help="Deadline with its UTC offset, e.g. 2026-12-01T23:59+0100. Clones are then "
        "graded at their last commit before it.",
    ),
]
Grace = Annotated[int, typer.Option(help="Grace period after the deadline, in minutes.")]
LatePenalty = Annotated[float, typer.Option(help="Points deducted per started day late.")]
LabDir = Annotated[
    Path | None, typer.Option(help="Lab bundle folder (default: the bundled MediAI lab).")
]


def _settings(backend: str | None, lab_dir: Path | None) -> Settings:
    overrides: dict[str, object] = {}
    if backend:
        overrides["backend"] = backend
    if lab_dir:
        overrides["lab_dir"] = lab_dir
    return Settings(**overrides)  # type: ignore[arg-type]


def _policy(deadline: datetime | None, grace: int, late_penalty: float) -> DeadlinePolicy | None:
    if deadline is None:
        return None
    return DeadlinePolicy(
        deadline=deadline, grace=timedelta(minutes=grace), late_penalty_per_day=late_penalty
    )


def _open(settings: Settings, say: Console) -> GradingSession:
    """The session, once its backend is chosen and started; `say` hears which and why."""
    lab = load_lab(settings.lab_dir or default_lab_path())
    backend = "" if settings.backend == "auto" else f"{settings.backend} "
    with console.status(f"Starting a {backend}grading cluster and loading {lab.title}..."):
        session = GradingSession.open(settings, lab)
    try:
        engine = session.engine_info()
    except BaseException:
        session.close()
        raise
    line = backend_line(engine)
    ungraded = [e.id for e in lab.exercises if e.requires_citus]
    if ungraded and not engine.has_citus:
        line += f"; not graded without Citus: {', '.join(ungraded)}"
    say.print(line, soft_wrap=True, highlight=False, markup=False)
    return session


@app.command("grade")
def grade_one(
    path: Annotated[Path, typer.Argument(exists=True, file_okay=False, help="A student's clone.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    as_markdown: Annotated[
        bool, typer.Option("--markdown", help="Print the report as markdown.")
    ] = False,
    deadline: Deadline = None,
    grace: Grace = 0,
    late_penalty: LatePenalty = 0.0,
    backend: Backend = None,
    lab_dir: LabDir = None,
) -> None:
    """Grade one submission and print its report."""
    policy = _policy(deadline, grace, late_penalty)
    try:
        say = errors if as_json or as_markdown else console  # keep stdout the document
        with _open(_settings(backend, lab_dir), say) as session:
            report = session.grade_checkout(path, policy=policy)
    except GraderError as exc:
        errors.print(f"[red]error:[/red] {exc.message}")
        raise typer.Exit(2) from exc
    if as_json:
        sys.stdout.write(report.model_dump_json(indent=2) + "\n")
    elif as_markdown:
        sys.stdout.write(md_render.render(report) + "\n")
    else:
        terminal.render(report, console, title=str(path))
    raise typer.Exit(1 if report.status is RunStatus.ERROR else 0)


@app.command("grade-class")
def grade_class(
    folder: Annotated[Path, typer.Argument(exists=True, file_okay=False, help="Folder of clones.")],
    csv_path: Annotated[Path, typer.Option("--csv", help="Where to write the scores.")] = Path(
        "scores.csv"
    ),
    json_dir: Annotated[
        Path | None, typer.Option("--json", help="Also write one JSON report per submission here.")
    ] = None,
    details: Annotated[bool, typer.Option(help="Print each report's findings.")] = False,
    store: Annotated[
        str | None,
        typer.Option(
            help="Also record the grades in the service's store (GRADER_DATABASE_URL) as the "
            "repositories ORGANISATION/<folder name>, for the dashboard.",
            metavar="ORGANISATION",
        ),
    ] = None,
    roster_path: Annotated[
        Path | None,
        typer.Option(
            "--roster",
            exists=True,
            dir_okay=False,
            help="GitHub Classroom's roster CSV: adds each submission's roster identifier to "
            "the CSV (matched by the GitHub login its folder name ends with) and, with "
            "--store, to the dashboard's exports.",
        ),
    ] = None,
    deadline: Deadline = None,
    grace: Grace = 0,
    late_penalty: LatePenalty = 0.0,
    backend: Backend = None,
    lab_dir: LabDir = None,
) -> None:
    """Grade every submission below FOLDER, with a progress bar; end with a table and a CSV."""
    settings = _settings(backend, lab_dir)
    policy = _policy(deadline, grace, late_penalty)
    roster = None
    if roster_path is not None:  # read before grading: a wrong file fails in a second
        try:
            roster = parse_roster(roster_path.read_bytes(), str(roster_path))
        except GraderError as exc:
            errors.print(f"[red]error:[/red] {exc.message}")
            raise typer.Exit(2) from exc
    try:
        session = _open(settings, console)
    except GraderError as exc:
        errors.print(f"[red]error:[/red] {exc.message}")
        raise typer.Exit(2) from exc
    graded: list[tuple[str, Report]] = []
    with session:
        submissions = find_submissions(folder, session.lab)
        if store and submissions:
            try:
                check_class(settings.database_url, session.lab, store, submissions)
            except GraderError as exc:
                errors.print(f"[red]error:[/red] {exc.message}")
                raise typer.Exit(2) from exc
        if not submissions:
            errors.print(
                f"[red]error:[/red] no submission with {session.lab.exercise_file} below {folder}"
            )
            raise typer.Exit(2)
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=console) as progress:
            task = progress.add_task("Grading", total=len(submissions))
            for sub in submissions:
                name = str(sub.relative_to(folder)) if sub != folder else sub.name
                progress.update(task, description=f"Grading {name}")
                report = session.grade_checkout(sub, policy=policy)
                graded.append((name, report))
                if details:
                    progress.console.print()
                    terminal.render(report, progress.console, title=name)
                progress.advance(task)
    similar = flag_similar(
        session.lab,
        [(name, sub, report) for (name, report), sub in zip(graded, submissions, strict=True)],
        max_bytes=settings.limits.max_exercise_file_bytes,
    )
    if similar:
        console.print(f"{len(similar)} pairs of near-duplicate answers flagged for staff")
    if json_dir:  # after the class similarity, which adds findings to the reports
        json_dir.mkdir(parents=True, exist_ok=True)
        for name, report in graded:
            out = json_dir / f"{name.replace('/', '__')}.json"
            out.write_text(report.model_dump_json(indent=2))
    table = Table(title=f"{session.lab.title}: {len(graded)} submissions")
    table.add_column("Submission")
    table.add_column("Result")
    for name, report in graded:
        table.add_row(name, headline(report))
    console.print(table)
    identifiers = None
    if roster is not None:
        entries = {name: roster.for_folder(Path(name).name) for name, _ in graded}
        identifiers = {name: e.identifier for name, e in entries.items() if e is not None}
        console.print(f"{len(identifiers)} of {len(graded)} submissions found on the roster")
    write_scores_csv(csv_path, session.lab, graded, identifiers)
    console.print(f"Scores written to {csv_path}")
    if store:
        try:
            stored = store_class(
                settings.database_url,
                session.lab,
                store,
                list(zip(submissions, [report for _, report in graded], strict=True)),
            )
        except GraderError as exc:
            errors.print(f"[red]error:[/red] {exc.message}")
            raise typer.Exit(2) from exc
        console.print(f"{len(stored)} grades recorded in the store for the dashboard")
        if roster is not None and roster_path is not None:
            names = [sub.name for sub in submissions]
            saved = save_class_roster(
                settings.database_url, store, names, roster, source_name=roster_path.name
            )
            console.print(f"Roster recorded for {len(saved)} assignment(s)")
    raise typer.Exit(1 if any(r.status is RunStatus.ERROR for _, r in graded) else 0)


@app.command("schema")
def schema() -> None:
    """Print the JSON schema of a report (the documented, versioned format)."""
    sys.stdout.write(json.dumps(Report.model_json_schema(), indent=2) + "\n")


if __name__ == "__main__":
    app()
