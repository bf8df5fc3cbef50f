"""The `backstretch` command: a thin layer over the library API. Heavy imports happen inside commands."""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..backends import BACKENDS
from ..errors import BackstretchError

if TYPE_CHECKING:
    from ..records import Reply
    from ..settings import Settings


def say(key: str, **values) -> str:
    """A message of the command, worded in prompts/cli.yaml."""
    from ..prompts import texts
    from ..settings import prompts_dir

    return texts(str(prompts_dir()), "cli.yaml")[key].format(**values)


def _said(key: str, fallback: str, **values) -> str:
    """`say`, or when the wording itself cannot be read (a missing prompts folder) the fallback: the error that
    says so must not need the prompts."""
    try:
        return say(key, **values)
    except (BackstretchError, KeyError):
        return fallback.format(**values)


class _Group(click.Group):
    """Every BackstretchError becomes one line on stderr and its exit status; never a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except BackstretchError as exc:
            click.echo(_said("error", "error: {message}", message=exc), err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo(_said("interrupted", "interrupted"), err=True)
            ctx.exit(130)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--data-dir", type=click.Path(path_type=Path), help="Index folder (BACKSTRETCH_DATA_DIR).")
@click.option("--corpus-dir", type=click.Path(path_type=Path), help="Article folder (BACKSTRETCH_CORPUS_DIR).")
@click.pass_context
def main(ctx: click.Context, data_dir: Path | None, corpus_dir: Path | None) -> None:
    """Grounded answers about stretching and cracking your back, quoted from one article."""
    from ..settings import Settings

    ctx.obj = Settings.from_env(data_dir=data_dir, corpus_dir=corpus_dir)
    ctx.obj.configure_logging()


@contextmanager
def _progress(label: str):
    """A progress bar on stderr, shown only once there is something to report (done, total); rich's progress
    module is imported only then (an index that is current reports nothing)."""
    bar = None
    task = None

    def update(done: int, total: int) -> None:
        nonlocal bar, task
        if bar is None:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            bar = Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                           console=Console(stderr=True))
            bar.start()
            task = bar.add_task(label, total=total)
        bar.update(task, completed=done, total=total)

    try:
        yield update
    finally:
        if bar is not None:
            bar.stop()


def _load(settings: Settings):
    import gc

    from ..app import Assistant

    # what is loaded (models, index, lexicon, pipelines: ~90k tracked objects) lives until the process ends, so
    # collecting while it is built only walks it again and again (about 250 collections, 0.1 s of a fresh ask):
    # no collection runs during the load, and it is frozen after it, so none walks it later either, neither while
    # answering nor the several the interpreter runs at exit. The few thousand cyclic leftovers of a load from the
    # snapshot stay (frozen); a load that went through Chroma or ingest collects them first.
    enabled = gc.isenabled()
    gc.disable()
    try:
        with _chroma_advice(settings), _progress(say("progress_index")) as update:
            bot = Assistant.load(settings, progress=update)
        if not bot.index.from_snapshot:
            gc.collect()
        gc.freeze()
    finally:
        if enabled:
            gc.enable()
    return bot


@contextmanager
def _chroma_advice(settings: Settings):
    """An index error in client/server mode while the Chroma server does not answer says so, instead of the
    index's own advice to run `backstretch ingest` (which cannot help then)."""
    from ..errors import IndexUnavailable

    try:
        yield
    except IndexUnavailable:
        if settings.chroma_host and not _answers(settings.chroma_host, settings.chroma_port):  # server mode
            raise IndexUnavailable(say("chroma_down", host=settings.chroma_host, port=settings.chroma_port)) from None
        raise


def _answers(host: str, port: int) -> bool:
    import socket

    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def _print_reply(reply, as_json: bool, verbose: bool = False) -> None:
    """One reply: JSON (unchanged shape), or rendered with rich for a person: a referral as a titled panel,
    warnings marked, text wrapped at the terminal's width, sources by method (character spans with --verbose)."""
    if as_json:
        click.echo(json.dumps(reply.to_dict(), ensure_ascii=False))
        return
    from rich.console import Console
    from rich.panel import Panel
    from rich.text import Text

    console = Console(highlight=False)
    if reply.notice:
        console.print(Text(say("notice", notice=reply.notice), style="italic"))
    if reply.status == "referral":
        title = say("emergency_title" if reply.urgent else "referral_title")
        body = Text(reply.answer)
        if reply.urgent:
            body.append("\n\n" + say("emergency_action"), style="bold")
        console.print(Panel(body, title=Text(title, style="bold"), title_align="left",
                            border_style="bold red" if reply.urgent else "yellow", expand=False))
    else:  # laid out as the page lays it out: the article's answer first, warnings marked, listed methods named
        from .layout import is_warning, listed_item, opening

        lines = reply.answer.splitlines()
        lead = opening(lines) if reply.status == "answered" else 0
        listed = reply.options if reply.intent == "which" else ()
        text = Text()
        for i, line in enumerate(lines):
            if is_warning(line):
                text.append(line + "\n", style="bold red")
            elif listed and (item := listed_item(line, listed)):  # its number picks its steps in `chat`
                start, title, _ = item
                text.append(line[:start])
                text.append(title, style="bold")
                text.append(line[start + len(title):] + "\n")
            else:
                text.append(line + "\n", style="bold" if i < lead else "")
        console.print(text, end="")
    for i, question in enumerate(reply.options, start=1):
        if i == 1:
            console.print(Text(say("options_header")))
        console.print(Text(say("option_line", i=i, question=question)))
    if reply.citations:
        console.print(Text(say("sources_header")))
        for c in reply.citations:
            line = say("source_line", n=c.n, title=c.section_title, kind=c.kind)
            if verbose:
                line += say("source_span", source=c.source, start=c.start, end=c.end)
            console.print(Text(line, style="red" if c.kind == "warning" else ""))
    console.print("")


@main.command()
@click.argument("questions", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per turn (JSON Lines).")
@click.option("--verbose", "-v", is_flag=True, help="Give each source's file and character span.")
@click.option("--jsonl", "batch", type=click.File("r", encoding="utf-8", errors="surrogateescape"), metavar="FILE",
              help="Answer each line of FILE ('-' for standard input) on its own: a plain question, or JSON with "
                   "\"question\" and optional \"history\"; one JSON object per line out.")
@click.pass_obj
def ask(settings: Settings, questions: tuple[str, ...], as_json: bool, verbose: bool, batch) -> None:
    """Ask QUESTIONS as successive turns of one conversation."""
    from ..prompts import Prompts
    from ..understanding.validation import validate_question

    if batch is not None:
        if questions:
            raise click.UsageError(say("jsonl_and_questions"))
        _batch(settings, batch)
        return
    if not questions:
        raise click.UsageError(say("no_questions"))
    prompts = Prompts.load(settings.prompts_dir)
    for q in questions:  # all questions are checked before anything runs
        validate_question(q, settings.max_question_chars, prompts)
    bot = _load(settings)
    history: list[Reply] = []
    for q in questions:
        reply = bot.ask(q, history)
        history.append(reply)
        _print_reply(reply, as_json, verbose)


def _batch(settings: Settings, lines) -> None:
    """One JSON object out per non-blank line in; a bad line is an {"error": ...} object and the batch goes on.
    Exits 1 when any line failed."""
    from ..prompts import texts
    from .conversation import BatchLine, ConversationError, Replayer, read_batch_line, turns_from_history

    t = texts(str(settings.prompts_dir), "api.yaml")
    bot = _load(settings)
    replayer, failed = Replayer(), 0
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        ident = None
        try:
            item: BatchLine = read_batch_line(line)
            ident = item.id
            history = replayer.history(bot, turns_from_history(item.history, t))
            out = bot.ask(item.question, history).to_dict()
        except (BackstretchError, ConversationError) as exc:
            failed += 1
            out = {"error": say("jsonl_error", line=number, message=exc), "line": number}
        if ident is not None:
            out = {"id": ident, **out}
        click.echo(json.dumps(out, ensure_ascii=False))
    if failed:
        raise SystemExit(1)


def _tolerate_bad_bytes(stream) -> None:
    """Invalid UTF-8 typed in a terminal becomes lone surrogates, which the question validator refuses in one
    line, instead of a UnicodeDecodeError that would end the session."""
    try:
        stream.reconfigure(errors="surrogateescape")
    except (AttributeError, ValueError, OSError):
        pass


@main.command()
@click.option("--verbose", "-v", is_flag=True, help="Give each source's file and character span.")
@click.pass_obj
def chat(settings: Settings, verbose: bool) -> None:
    """A conversation in the terminal (empty line or Ctrl-D to leave); a number picks an offered question."""
    from ..errors import InvalidQuestion

    bot = _load(settings)
    history: list[Reply] = []
    click.echo(say("chat_intro"))
    _tolerate_bad_bytes(sys.stdin)
    while True:
        try:
            question = input(say("chat_prompt"))
        except EOFError:
            break
        except UnicodeDecodeError:  # a stream that cannot take surrogateescape: the line is lost, the chat is not
            click.echo(say("error", message=bot.prompts.render("error_encoding")), err=True)
            continue
        if not question.strip():
            break
        offered = history[-1].options if history else ()
        if question.strip().isdigit() and 1 <= int(question.strip()) <= len(offered):
            question = offered[int(question.strip()) - 1]
        try:
            reply = bot.ask(question, history)
        except InvalidQuestion as exc:
            click.echo(say("error", message=exc), err=True)
            continue
        history.append(reply)
        _print_reply(reply, as_json=False, verbose=verbose)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.pass_obj
def ingest(settings: Settings, paths: tuple[Path, ...]) -> None:
    """Build or update the index; PATHS are new articles to add to the corpus first."""
    from ..errors import CorpusError
    from ..knowledge.ingest import add_documents, build_index

    missing = [p for p in paths if not p.exists()]
    if missing:  # before the corpus's own checks, which would call a missing path "not a .txt file"
        raise CorpusError(say("no_such_path", path=missing[0]))
    added = add_documents(settings, list(paths)) if paths else []
    for name in added:
        click.echo(say("added", name=name, folder=settings.corpus_dir))
    with _chroma_advice(settings), _progress(say("progress_ingest")) as update:
        report, moved = build_index(settings, progress=update)
    if moved:
        click.echo(say("index_moved", path=moved), err=True)
    if report.snapshot_problem:
        click.echo(say("snapshot_rebuilt", problem=report.snapshot_problem), err=True)
    click.echo(say("ingested", passages=report.passages, embedded=report.embedded, reused=report.reused,
                   seconds=report.seconds))


@main.command("eval")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.option("--baseline", is_flag=True, help="Also run the plain LangChain tutorial chain, side by side.")
@click.option("--out", type=click.Path(path_type=Path), help="Folder for results.json and report.html "
              "(default: <data dir>/eval).")
@click.option("--k", "k", type=click.IntRange(1, 13), default=3, show_default=True,
              help="Cut-off for hit@k and nDCG@k.")
@click.option("--fail-under", "fail_under", multiple=True, metavar="METRIC=VALUE",
              help="Exit 1 when METRIC misses VALUE (for over_referral and latency: exceeds it). Repeatable.")
@click.option("--compare", nargs=2, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              metavar="OLD.json NEW.json", help="Show what changed between two results files, case by case.")
@click.option("--backend", type=click.Choice(BACKENDS), help="Who words the answers (BACKSTRETCH_BACKEND); "
              "the report adds how often a model's answer fell back to the extractive one.")
@click.option("--base-url", help="The model server's URL (BACKSTRETCH_LLM_BASE_URL).")
@click.option("--target", "targets", multiple=True, metavar="openai:URL",
              help="Also score an OpenAI-compatible chat endpoint on the same cases, side by side (repeatable; "
                   "openai:URL#MODEL names its model inline). Key: BACKSTRETCH_EVAL_TARGET_API_KEY.")
@click.option("--model", "models", multiple=True, metavar="NAME",
              help="With --target: the model of each target in order (one name for all); default the first one the "
                   "endpoint lists. Without --target: the backend's model (BACKSTRETCH_LLM_MODEL).")
@click.option("--show-failures", "show_failures", type=click.IntRange(min=0), default=10, show_default=True,
              metavar="N", help="List at most N failing cases per system under the summary (0: none).")
@click.option("--export", "export_to", nargs=2, metavar="promptfoo|deepeval FILE",
              help="Write the cases in promptfoo's YAML or DeepEval's LLMTestCase JSON, then stop.")
@click.option("--import", "import_from", nargs=2, metavar="promptfoo FILE",
              help="Also run promptfoo YAML tests, read as cases where their asserts map (the rest are listed); "
                   "the cases are saved as a question set beside the results.")
@click.pass_obj
def evaluate_sets(settings: Settings, files: tuple[Path, ...], baseline: bool, out: Path | None, k: int,
                  fail_under: tuple[str, ...], compare: tuple[Path, Path] | None, backend: str | None,
                  base_url: str | None, targets: tuple[str, ...], models: tuple[str, ...], show_failures: int,
                  export_to: tuple[str, str] | None, import_from: tuple[str, str] | None) -> None:
    """Run question sets (default: every evals/*.yaml) and score them."""
    from rich.console import Console

    from ..evaluation import compare as diff
    from ..evaluation import default_sets, evaluate, load_cases, parse_thresholds, shortfalls
    from ..evaluation.report import fmt, print_failures, print_table, results_json, write_outputs
    from ..settings import REPO_ROOT

    console = Console()
    if compare:
        old, new = (json.loads(p.read_text(encoding="utf-8")) for p in compare)
        metrics, changes = diff(old, new)
        for name, a, b in metrics:
            console.print(say("compare_metric", name=name, old=fmt(name, a), new=fmt(name, b)), markup=False)
        for cid, change, why in changes:
            console.print(say("compare_case", change=change, case=cid, why=why), markup=False)
        if not metrics and not changes:
            console.print(say("compare_none"), markup=False)
        return
    thresholds = parse_thresholds(fail_under)
    paths = list(files) or ([] if import_from else default_sets(REPO_ROOT / "evals"))
    cases = load_cases(paths)
    out = out or Path(settings.data_dir) / "eval"
    if import_from:
        imported, name = _import_set(import_from, out, cases)
        cases += imported
        paths.append(Path(name))
    specs = _target_specs(targets, models)
    model = models[0] if models and not targets else None
    settings = settings.with_(**{k: v for k, v in (("backend", backend), ("llm_base_url", base_url),
                                                     ("llm_model", model)) if v is not None})
    if export_to:
        _export_set(settings, export_to, cases)
        return
    bot = _load(settings)
    runs = []
    name = "backstretch" if not settings.uses_llm else f"backstretch ({settings.backend})"
    with _progress(say("progress_eval")) as update:
        runs.append(evaluate(bot, cases, name, k, update).to_dict())
    if baseline:
        from ..evaluation.baseline import BaselineChain

        chain = BaselineChain(bot.library, bot.index.embeddings.sharing_model())
        try:
            with _progress(say("progress_baseline")) as update:
                runs.append(evaluate(chain, cases, "langchain-baseline", k, update).to_dict())
        finally:
            chain.close()
    for spec in specs:
        from ..evaluation.target import OpenAITarget

        target = OpenAITarget(spec, bot.library, _secret(settings.eval_target_api_key) or None)
        try:
            with _progress(say("progress_target", target=target.spec.label)) as update:
                runs.append(evaluate(target, cases, target.name, k, update).to_dict())
        finally:
            target.close()
    data = results_json(runs, [p.name for p in paths], k)
    print_table(runs, console, say)
    print_failures(runs, console, say, show_failures)
    json_path, html_path = write_outputs(data, out, settings.prompts_dir)
    click.echo(say("eval_results", path=json_path))
    click.echo(say("eval_report", path=html_path))
    missed = shortfalls(runs[0]["summary"], thresholds)
    if missed:
        for line in missed:
            click.echo(say("fail_under", line=line), err=True)
        raise SystemExit(1)


def _target_specs(targets: tuple[str, ...], models: tuple[str, ...]) -> list:
    """--target values with their --model names: paired in order, or one name for every target."""
    if not targets:
        return []
    from ..evaluation.target import parse_target

    if len(models) not in (0, 1, len(targets)):
        raise click.UsageError(say("target_models", targets=len(targets), models=len(models)))
    names: list[str | None] = list(models)
    if len(models) == 1:
        names = names * len(targets)
    elif not names:
        names = [None] * len(targets)
    return [parse_target(t, m) for t, m in zip(targets, names, strict=True)]


def _export_set(settings: Settings, export_to: tuple[str, str], cases) -> None:
    from ..evaluation import interchange

    fmt, path = export_to
    if fmt == "promptfoo":
        text = interchange.to_promptfoo(cases, f"http://{settings.ui_host}:{settings.ui_port}/v1", settings.api_model)
    elif fmt == "deepeval":
        from ..knowledge.corpus import load_corpus
        from ..knowledge.library import Library

        text = interchange.to_deepeval(cases, Library(load_corpus(settings.corpus_dir)))
    else:
        raise click.UsageError(say("export_format", fmt=fmt))
    Path(path).write_text(text, encoding="utf-8")
    click.echo(say("exported", count=len(cases), fmt=fmt, path=path))


def _import_set(import_from: tuple[str, str], out: Path, known: list) -> tuple[list, str]:
    """promptfoo tests as cases (unmappable asserts on stderr), also saved as a question set in `out`."""
    from ..evaluation import interchange

    fmt, path = import_from
    if fmt != "promptfoo":
        raise click.UsageError(say("import_format", fmt=fmt))
    result = interchange.from_promptfoo(Path(path), taken={c.id for c in known})
    for line in result.unmapped:
        click.echo(say("import_unmapped", line=line), err=True)
    out.mkdir(parents=True, exist_ok=True)
    saved = out / f"imported-{Path(path).stem}.yaml"
    saved.write_text(result.yaml(), encoding="utf-8")
    click.echo(say("imported", count=len(result.cases), path=saved, unmapped=len(result.unmapped)), err=True)
    return result.cases, Path(path).name


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the full results as JSON.")
@click.option("--quick", is_flag=True, help="A tiny configuration (seconds, not minutes): checks that bench runs.")
@click.option("--clients", help="Concurrent client counts, comma-separated (default 16,32).")
@click.option("--duration", type=float, help="Seconds of load per client count (default 30).")
@click.option("--big", is_flag=True, help="Also the scale lines: ingest and answers at 100,000 generated passages "
              "against the article alone (minutes).")
@click.option("--big-passages", type=click.IntRange(1, 2_000_000), default=100_000, show_default=True,
              help="Generated passages for --big.")
@click.pass_obj
def bench(settings: Settings, as_json: bool, quick: bool, clients: str | None, duration: float | None, big: bool,
          big_passages: int) -> None:
    """Measure latency, start-up, ingest, memory and concurrent users against their budgets."""
    from dataclasses import replace

    from rich.console import Console
    from rich.table import Table

    from ..evaluation.bench import BenchConfig, big_corpus, run

    config = BenchConfig.quick() if quick else BenchConfig()
    try:
        if clients:
            config = replace(config, clients=tuple(int(c) for c in clients.split(",")))
    except ValueError:
        raise click.UsageError(f"--clients takes numbers separated by commas, got {clients!r}") from None
    if duration:
        config = replace(config, duration=duration)
    bot = _load(settings)
    err = Console(stderr=True)
    def step(text: str) -> None:
        err.print(say("bench_step", step=text), markup=False)

    report = run(settings, bot, config, progress=step)
    if big:
        big_corpus(report, big_passages, progress=step)
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2))
    else:
        table = Table(title=say("bench_title"))
        for col in ("check", "value", "budget", "", "detail"):
            table.add_column(col)
        for c in report.checks:
            table.add_row(c.name, f"{c.value:g} {c.unit}", f"≤ {c.limit:g}", "ok" if c.ok else "MISSED", c.note)
        Console().print(table)
    for c in report.checks:
        if not c.ok:
            click.echo(say("budget_missed", name=c.name, value=c.value, unit=c.unit, limit=c.limit, note=c.note),
                       err=True)
    if not report.ok:
        raise SystemExit(1)


LOOPBACK = ("127.0.0.1", "localhost", "::1")


def _serve_options(command):
    for option in reversed([
        click.option("--host", help="Address to bind (default 127.0.0.1, BACKSTRETCH_UI_HOST)."),
        click.option("--port", type=int, help="Port (default 7860, BACKSTRETCH_UI_PORT)."),
        click.option("--no-auth", is_flag=True, help="Allow a non-loopback address without a login or API key."),
    ]):
        command = option(command)
    return command


def _secret(value) -> str:
    return value.get_secret_value() if value is not None else ""


def _refuse_open_bind(settings: Settings, host: str, no_auth: bool, page: bool, api: bool) -> None:
    """Beyond loopback, the page needs a login and the APIs a bearer token, unless --no-auth says otherwise."""
    from ..errors import SettingsError

    if host in LOOPBACK or no_auth:
        return
    missing = []
    if page and not (settings.ui_user and _secret(settings.ui_password)):
        missing.append("BACKSTRETCH_UI_USER and BACKSTRETCH_UI_PASSWORD")
    if api and not _secret(settings.api_key):
        missing.append("BACKSTRETCH_API_KEY")
    if missing:
        raise SettingsError(f"binding to {host} needs {' and '.join(missing)}, or --no-auth")


@main.command()
@_serve_options
@click.option("--api-only", is_flag=True, help="Serve the OpenAI-compatible and REST APIs without the page.")
@click.option("--no-api", is_flag=True, help="Serve the page without the APIs.")
@click.pass_obj
def serve(settings: Settings, host: str | None, port: int | None, no_auth: bool, api_only: bool,
          no_api: bool) -> None:
    """Serve the web page and, beside it, the APIs (building the index first if it is missing)."""
    if api_only and no_api:
        raise click.UsageError("--api-only and --no-api exclude each other")
    if api_only:
        _serve_api(settings, host, port, no_auth)
        return
    from .feedback import FeedbackStore
    from .ui import serve as launch

    host = host or settings.ui_host
    port = port or settings.ui_port
    _refuse_open_bind(settings, host, no_auth, page=True, api=not no_api)
    password = _secret(settings.ui_password)
    auth = (settings.ui_user, password) if settings.ui_user and password else None
    store = FeedbackStore(settings.feedback_target)  # a damaged or read-only database stops here, in one line
    bot = _load(settings)
    click.echo(say("serving", host=host, port=port), err=True)
    if not no_api:
        click.echo(say("serving_api", host=host, port=port), err=True)
    launch(bot, store, host, port, auth, settings.ui_concurrency, settings.ui_queue_size, api=not no_api,
           api_key=_secret(settings.api_key) or None)


@main.command("api")
@_serve_options
@click.pass_obj
def api_command(settings: Settings, host: str | None, port: int | None, no_auth: bool) -> None:
    """Serve only the OpenAI-compatible and REST APIs (the same as serve --api-only)."""
    _serve_api(settings, host, port, no_auth)


def _serve_api(settings: Settings, host: str | None, port: int | None, no_auth: bool) -> None:
    from ..app import Assistant
    from .api import serve_api

    host = host or settings.ui_host
    port = port or settings.ui_port
    _refuse_open_bind(settings, host, no_auth, page=False, api=True)
    click.echo(say("serving_api", host=host, port=port), err=True)
    serve_api(settings, host, port, _secret(settings.api_key) or None, lambda: Assistant.load(settings))


@main.group()
def feedback() -> None:
    """Votes and comments left on the web page."""


@feedback.command("export")
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="jsonl", show_default=True)
@click.option("--output", "-o", type=click.Path(path_type=Path), help="File to write (default: standard output).")
@click.pass_obj
def export(settings: Settings, fmt: str, output: Path | None) -> None:
    """Write every vote with its question, the full reply and the comment."""
    from .feedback import FeedbackStore

    store = FeedbackStore(settings.feedback_target, read_only=True)
    text = store.export(fmt)
    if store.skipped:
        click.echo(say("feedback_skipped", count=store.skipped), err=True)
    if output:
        output.write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
