"""The command line: `python -m data_access ...` (click). Messages are in Spanish.

Every command takes `--database URL`; without it, `DATABASE_URL`, then the embedded SQLite file.
"""

import csv
import functools
import io
import sys
import time
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click
import polars as pl
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from tqdm import tqdm

from . import blocks as blocks_module
from . import crm_contacts, csv_safe, ingest, migrate, schema, vocab
from . import demo as demo_world
from . import rollups as rollups_module
from . import sessions as sessions_module
from . import users as users_module
from .config import resolve_url
from .engine import DatabaseUnavailable, check_connection, is_damaged, make_engine, unavailable
from .quarantine import recent_quarantine

database_option = click.option(
    "--database",
    "database",
    metavar="URL",
    default=None,
    help="URL de la base de datos (por defecto DATABASE_URL o el SQLite integrado).",
)


def _known_zone(_ctx, _param, value):
    if not value:
        return None
    try:
        return ZoneInfo(value).key
    except (ZoneInfoNotFoundError, ValueError):
        raise click.BadParameter(
            f"zona horaria desconocida: {value} (un nombre IANA, p. ej. America/Mexico_City)"
        ) from None


timezone_option = click.option(
    "--timezone",
    envvar="RASTRO_TIMEZONE",
    default=None,
    callback=_known_zone,
    help="Zona horaria (IANA) de los días de los informes; por defecto RASTRO_TIMEZONE, o la "
    "que ya tienen los resúmenes.",
)


def _text_problem(value: str) -> str | None:
    """Why a text argument cannot reach the database, or None. PostgreSQL refuses NUL in text,
    and a lone surrogate (bytes that are not UTF-8, as the shell passes them) cannot be encoded:
    both are refused before anything is read or written (issue 17)."""
    if "\x00" in value:
        return "contiene un carácter nulo (NUL)"
    if any("\ud800" <= ch <= "\udfff" for ch in value):
        return "tiene bytes que no son UTF-8"
    return None


def _refuse_unstorable_text(kwargs: dict) -> None:
    """The one check of every command's free-text arguments (file paths are not text here:
    a file name in any bytes is a valid name)."""
    context = click.get_current_context(silent=True)
    if context is None:
        return
    for param in context.command.params:
        if not isinstance(param.type, click.types.StringParamType):
            continue
        value = kwargs.get(param.name)
        values = value if isinstance(value, tuple) else (value,)
        for item in values:
            problem = _text_problem(item) if isinstance(item, str) else None
            if problem:
                name = param.opts[0] if param.opts[0].startswith("-") else param.name.upper()
                raise click.ClickException(f"Valor no válido: {name} {problem}.")


def _friendly_errors(command):
    """Turn the failures a user can cause into one clear line instead of a traceback."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        _refuse_unstorable_text(kwargs)
        try:
            return command(*args, **kwargs)
        except DatabaseUnavailable as error:
            raise click.ClickException(str(error)) from error
        except sa.exc.ArgumentError as error:
            raise click.ClickException(f"URL de base de datos no válida: {error}") from error
        except sa.exc.DatabaseError as error:
            if is_damaged(error):  # an SQLite file damaged or not a database: which, and why
                url = resolve_url(kwargs.get("database"))
                raise click.ClickException(str(unavailable(url, error))) from error
            if isinstance(error, sa.exc.OperationalError):
                raise click.ClickException(f"Error de la base de datos: {error.orig}") from error
            raise

    return wrapper


def _engine(database: str | None) -> sa.Engine:
    engine = make_engine(resolve_url(database))
    check_connection(engine)
    return engine


def database_size(engine: sa.Engine) -> int:
    """Bytes the database takes on disk (SQLite: file plus WAL)."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            return conn.execute(sa.text("SELECT pg_database_size(current_database())")).scalar_one()
    path = Path(make_url(engine.url).database)
    return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())


@click.group(help="Rastro: capa de datos (esquema, migraciones, datos de demostración).")
def main():
    pass


@main.group(help="Esquema de la base de datos.")
def db():
    pass


@db.command("upgrade", help="Crea o actualiza el esquema (migraciones de Alembic).")
@database_option
@_friendly_errors
def db_upgrade(database):
    engine = _engine(database)
    migrate.upgrade(engine)
    click.echo(f"Esquema al día (revisión {migrate.current_revision(engine)}).")


@db.command("current", help="Muestra la revisión del esquema de la base de datos.")
@database_option
@_friendly_errors
def db_current(database):
    engine = _engine(database)
    current = migrate.current_revision(engine)
    head = migrate.head_revision()
    if current is None:
        click.echo(f"Base de datos sin esquema; la última revisión es {head}.")
    elif current == head:
        click.echo(f"Revisión {current} (al día).")
    else:
        click.echo(f"Revisión {current}; pendiente actualizar a {head} (db upgrade).")


@main.command(help="Construye el mundo de demostración (contactos, campañas, flujos y eventos).")
@click.option(
    "--contacts",
    type=click.IntRange(min=1),
    default=demo_world.DEFAULT_CONTACTS,
    show_default=True,
    help="Número de contactos.",
)
@click.option(
    "--seed",
    type=int,
    default=demo_world.DEFAULT_SEED,
    show_default=True,
    help="Semilla: la misma semilla y fecha dan el mismo mundo.",
)
@click.option(
    "--until",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Fin del año simulado (AAAA-MM-DD); por defecto, hoy.",
)
@click.option("--replace", is_flag=True, help="Sustituye los datos que ya tenga la base de datos.")
@timezone_option
@database_option
@_friendly_errors
def demo(contacts, seed, until, replace, timezone, database):
    engine = _engine(database)
    migrate.upgrade(engine)
    with engine.connect() as conn:
        if not replace and not demo_world.is_empty(conn):
            raise click.ClickException(
                "La base de datos ya tiene contactos; usa --replace para sustituirlos."
            )
    started = time.perf_counter()
    until_date: date | None = until.date() if until else None
    world = demo_world.generate(contacts, seed=seed, until=until_date)
    generated = time.perf_counter()
    click.echo(
        f"Generado: {world.contacts.height:,} contactos, {world.campaigns.height} campañas y "
        f"flujos, {world.events.height:,} eventos en {generated - started:.1f} s."
    )
    demo_world.load(engine, world, replace=replace, timezone=timezone)
    loaded = time.perf_counter()
    size = database_size(engine) / 1024**2
    click.echo(
        f"Cargado en {loaded - generated:.1f} s ({engine.dialect.name}); "
        f"total {loaded - started:.1f} s; tamaño de la base de datos {size:,.1f} MiB."
    )


# --- users and audit ------------------------------------------------------------------------


def _password(from_stdin: bool, confirm: bool = True) -> str:
    """The password typed at a prompt (twice) or one line from standard input; never an
    argument, so it stays out of shell history and process lists."""
    if from_stdin:
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    return click.prompt(
        "Contraseña", hide_input=True, confirmation_prompt=confirm and "Repite la contraseña"
    )


def _user_errors(command):
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        _refuse_unstorable_text(kwargs)
        try:
            return command(*args, **kwargs)
        except users_module.UserError as error:
            raise click.ClickException(str(error)) from error

    return wrapper


@main.group(help="Usuarios del panel (solo el rol admin ve los datos).")
def users():
    pass


@users.command("add", help="Crea un usuario; la contraseña se pide (o se lee de stdin).")
@click.argument("username")
@click.option("--name", "display_name", required=True, help="Nombre para mostrar.")
@click.option(
    "--role",
    type=click.Choice(["admin", "seller"]),
    required=True,
    help="admin (administrador) o seller (vendedor).",
)
@click.option("--email", default=None, help="Correo con el que entra por inicio de sesión único.")
@click.option("--password-stdin", is_flag=True, help="Lee la contraseña de la entrada estándar.")
@click.option("--sso-only", is_flag=True, help="Sin contraseña: solo inicio de sesión único.")
@database_option
@_friendly_errors
@_user_errors
def users_add(username, display_name, role, email, password_stdin, sso_only, database):
    engine = _engine(database)
    migrate.upgrade(engine)
    if sso_only and not email:
        raise click.ClickException("Un usuario sin contraseña necesita --email.")
    password = None if sso_only else _password(password_stdin)
    with engine.begin() as conn:
        user = users_module.add_user(
            conn, username, display_name=display_name, role=role, password=password, email=email
        )
    click.echo(f"Usuario {user.username} creado ({user.role}).")


@users.command("set-password", help="Cambia la contraseña (se pide o se lee de stdin).")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Lee la contraseña de la entrada estándar.")
@database_option
@_friendly_errors
@_user_errors
def users_set_password(username, password_stdin, database):
    engine = _engine(database)
    password = _password(password_stdin)
    with engine.begin() as conn:
        ended = users_module.set_password(conn, username, password)
    click.echo(f"Contraseña de {users_module.normalise_username(username)} cambiada.")
    _say_sessions_ended(ended)


def _say_sessions_ended(ended: int) -> None:
    if ended:
        click.echo(
            "Sesión abierta cerrada." if ended == 1 else f"{ended} sesiones abiertas cerradas."
        )


def _set_active(username: str, active: bool, database: str | None) -> None:
    with _engine(database).begin() as conn:
        ended = users_module.set_active(conn, username, active)
    state = "activado" if active else "desactivado"
    click.echo(f"Usuario {users_module.normalise_username(username)} {state}.")
    _say_sessions_ended(ended)


@users.command("disable", help="Desactiva un usuario (no podrá entrar; su historial se queda).")
@click.argument("username")
@database_option
@_friendly_errors
@_user_errors
def users_disable(username, database):
    _set_active(username, False, database)


@users.command("enable", help="Vuelve a activar un usuario.")
@click.argument("username")
@database_option
@_friendly_errors
@_user_errors
def users_enable(username, database):
    _set_active(username, True, database)


@users.command("list", help="Lista los usuarios.")
@database_option
@_friendly_errors
def users_list(database):
    with _engine(database).connect() as conn:
        frame = users_module.list_users(conn)
    if frame.is_empty():
        click.echo("No hay usuarios. Crea uno con: python -m data_access users add ...")
        return
    click.echo(f"{'usuario':<24}{'rol':<8}{'activo':<8}{'correo':<32}nombre")
    for row in frame.iter_rows(named=True):
        click.echo(
            f"{row['username']:<24}{row['role']:<8}{'sí' if row['active'] else 'no':<8}"
            f"{row['email'] or '-':<32}{row['display_name']}"
        )


@users.command("sessions", help="Lista las sesiones abiertas del panel (o todas, con --all).")
@click.option("--user", "username", default=None, help="Solo las de este usuario.")
@click.option("--all", "everything", is_flag=True, help="También las terminadas.")
@click.option("--limit", type=click.IntRange(1, 100_000), default=50, show_default=True)
@database_option
@_friendly_errors
def users_sessions(username, everything, limit, database):
    with _engine(database).connect() as conn:
        frame = sessions_module.list_sessions(
            conn, username=username, open_only=not everything, limit=limit
        )
    if frame.is_empty():
        click.echo("No hay sesiones abiertas." if not everything else "No hay sesiones.")
        return
    click.echo(
        f"{'sesión':<8}{'usuario':<24}{'entrada':<12}{'inicio':<22}{'última actividad':<22}fin"
    )
    for row in frame.iter_rows(named=True):
        end = "-"
        if row["ended_at"] is not None:
            end = (
                f"{row['ended_at']:%Y-%m-%d %H:%M} ({sessions_module.END_TEXT[row['end_reason']]})"
            )
        click.echo(
            f"{row['id']:<8}{row['username']:<24}"
            f"{sessions_module.METHOD_TEXT[row['method']]:<12}"
            f"{row['created_at']:%Y-%m-%d %H:%M} UTC    {row['last_seen_at']:%Y-%m-%d %H:%M} UTC    "
            f"{end}"
        )


@users.command("sign-out", help="Cierra todas las sesiones abiertas de un usuario.")
@click.argument("username")
@database_option
@_friendly_errors
@_user_errors
def users_sign_out(username, database):
    with _engine(database).begin() as conn:
        if users_module.get_user(conn, username) is None:
            raise users_module.UserError(
                f"No existe el usuario {users_module.normalise_username(username)}."
            )
        ended = sessions_module.end_user_sessions(conn, username, vocab.SESSION_LOGOUT)
    click.echo(f"Sesiones cerradas: {ended}.")


@main.command(
    help="Muestra el registro de auditoría (entradas, salidas, fichas abiertas, bloqueos levantados)."
)
@click.option("--limit", type=click.IntRange(1, 100_000), default=50, show_default=True)
@click.option("--user", "username", default=None, help="Solo este usuario.")
@click.option("--action", type=click.Choice(list(vocab.AUDIT_ACTIONS)), default=None)
@database_option
@_friendly_errors
def audit(limit, username, action, database):
    with _engine(database).connect() as conn:
        frame = users_module.audit_log(conn, limit=limit, username=username, action=action)
    if frame.is_empty():
        click.echo("El registro de auditoría está vacío.")
        return
    for row in frame.iter_rows(named=True):
        when = row["occurred_at"].strftime("%Y-%m-%d %H:%M:%S UTC")
        contact = f" contacto={row['contact_id']}" if row["contact_id"] is not None else ""
        detail = f" ({row['detail']})" if row["detail"] else ""
        click.echo(f"{when}  {row['action']:<16} {row['username']}{contact}{detail}")


# --- imports, quarantine, rollups -----------------------------------------------------------


@main.command("import", help="Importa eventos de entrega de un proveedor (uno o varios archivos).")
@click.option(
    "--provider",
    type=click.Choice(list(ingest.PROVIDERS)),
    required=True,
    help="Formato de los archivos.",
)
@click.option(
    "--origin",
    type=click.Choice(list(vocab.ORIGINS)),
    default=None,
    help="Origen para los eventos que no lo indican (si no, van a cuarentena).",
)
@click.option(
    "--campaign",
    "campaign",
    default=None,
    metavar="ID",
    help="Campaña o flujo (id del CRM) para los eventos que no lo indican.",
)
@click.option(
    "--unknown-recipients",
    type=click.Choice(["create", "quarantine"]),
    default="create",
    show_default=True,
    help="Qué hacer con destinatarios que no son contactos todavía.",
)
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@database_option
@_friendly_errors
def import_command(provider, origin, campaign, unknown_recipients, files, database):
    engine = _engine(database)
    migrate.upgrade(engine)
    failed = False
    for name in files:
        try:
            with tqdm(
                desc=Path(name).name, unit=" registros", file=sys.stderr, leave=False, disable=None
            ) as bar:
                report = ingest.import_file(
                    engine,
                    provider,
                    name,
                    default_origin=origin,
                    default_campaign=campaign,
                    unknown_recipients=unknown_recipients,
                    progress=bar.update,
                )
        except ingest.ImportRefused as error:  # not the format, or a concurrent import
            click.echo(f"{name}: no se importó nada: {error}", err=True)
            failed = True
            continue
        click.echo(report.line())
    if failed:
        raise SystemExit(1)


@main.group(help="Contactos del CRM.")
def contacts():
    pass


@contacts.command(
    "import", help="Importa la lista de contactos del CRM (CSV: email, name, crm_id, created_at)."
)
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@database_option
@_friendly_errors
def contacts_import(files, database):
    engine = _engine(database)
    migrate.upgrade(engine)
    failed = False
    for name in files:
        try:
            with tqdm(
                desc=Path(name).name, unit=" contactos", file=sys.stderr, leave=False, disable=None
            ) as bar:

                def progress(done, total, bar=bar):
                    bar.total = total
                    bar.update(done - bar.n)

                report = crm_contacts.import_contacts_file(engine, name, progress=progress)
        except ingest.ImportRefused as error:  # not a contacts file
            click.echo(f"{name}: no se importó nada: {error}", err=True)
            failed = True
            continue
        click.echo(report.line())
    if failed:
        raise SystemExit(1)


@main.command(help="Lista lo que quedó en cuarentena (registros que no se pudieron guardar).")
@click.option("--limit", type=click.IntRange(1, 100_000), default=50, show_default=True)
@database_option
@_friendly_errors
def quarantine(limit, database):
    with _engine(database).connect() as conn:
        rows = recent_quarantine(conn, limit=limit)
    if rows.is_empty():
        click.echo("La cuarentena está vacía.")
        return
    for when, provider, source, position, reason, raw in rows.iter_rows():
        shown = raw if len(raw) <= 120 else raw[:117] + "..."
        click.echo(f"{when:%Y-%m-%d %H:%M} {provider} {source}#{position}: {reason}\n    {shown}")


@main.group(help="Tablas resumen de los informes.")
def rollups():
    pass


@rollups.command("rebuild", help="Recalcula los resúmenes de los informes desde los eventos.")
@timezone_option
@database_option
@_friendly_errors
def rollups_rebuild(timezone, database):
    engine = _engine(database)
    started = time.perf_counter()
    with engine.begin() as conn:
        rollups_module.rebuild(conn, timezone)
        days = conn.execute(sa.select(sa.func.count()).select_from(schema.daily_rollup)).scalar()
        zone = rollups_module.stored_zone(conn)
    click.echo(
        f"Resúmenes recalculados ({days} filas diarias, días de {zone}) en "
        f"{time.perf_counter() - started:.1f} s."
    )


@main.group(help="Webhooks de los proveedores (recepción en vivo).")
def webhooks():
    pass


@webhooks.command(
    "work", help="Pasa la bandeja de entrada de los webhooks a eventos (sigue hasta Ctrl-C)."
)
@click.option("--once", is_flag=True, help="Procesa lo pendiente y termina.")
@click.option(
    "--interval",
    type=click.FloatRange(0.1, 3600),
    default=1.0,
    show_default=True,
    help="Segundos entre comprobaciones cuando no hay nada pendiente.",
)
@database_option
@_friendly_errors
def webhooks_work(once, interval, database):
    from .webhooks.worker import Worker

    engine = _engine(database)
    migrate.upgrade(engine)
    worker = Worker(engine)

    def show(result):
        click.echo(result.line())

    try:
        while True:
            try:
                batches = worker.drain(show)
            except ingest.FormatError as error:  # another import at the same moment
                click.echo(f"Lote no guardado, se reintentará: {error}", err=True)
                batches = 0
            if once:
                if not batches:
                    click.echo("No hay nada pendiente en la bandeja de los webhooks.")
                return
            time.sleep(interval)
    except KeyboardInterrupt:
        click.echo("Detenido.")


@webhooks.command("status", help="Estado de la recepción por proveedor (últimas 24 h).")
@database_option
@_friendly_errors
def webhooks_status(database):
    from .webhooks import settings as webhook_settings
    from .webhooks import status as webhook_status

    config = webhook_settings.load()
    with _engine(database).connect() as conn:
        table = webhook_status.overview(conn, config)
    if config.secret is None:
        click.echo(
            f"Aviso: falta {webhook_settings.SECRET}; los webhooks responden 503 y no guardan nada."
        )
    for problem in config.problems:
        click.echo(f"Aviso: {problem}")
    for row in table.iter_rows(named=True):
        last = row["last_received"]
        when = "nunca" if last is None else f"{last:%Y-%m-%d %H:%M:%S} UTC"
        click.echo(
            f"{row['provider']:<9} {row['path']:<19} "
            f"firma: {'sí' if row['signature'] else 'no'}  último: {when}  "
            f"aceptadas 24 h: {row['accepted_24h']}  rechazadas 24 h: {row['refused_24h']}  "
            f"pendientes: {row['backlog']}  en cuarentena: {row['quarantined']}"
        )


# --- blocked contacts -----------------------------------------------------------------------


def block_filters(command):
    """The filters of `blocks list` (the same as the Bloqueados page's)."""
    options = [
        click.option(
            "--reason",
            "reasons",
            multiple=True,
            type=click.Choice(list(vocab.REASONS)),
            help="Motivo (se puede repetir; por defecto, todos).",
        ),
        click.option(
            "--origin",
            type=click.Choice(list(blocks_module.ORIGIN_FILTERS)),
            default=None,
            help="Origen del correo que causó el bloqueo (none: ningún correo).",
        ),
        click.option(
            "--since-from",
            type=click.DateTime(formats=["%Y-%m-%d"]),
            default=None,
            help="Bloqueados desde este día (UTC, AAAA-MM-DD)…",
        ),
        click.option(
            "--since-to",
            type=click.DateTime(formats=["%Y-%m-%d"]),
            default=None,
            help="…hasta este día, incluido.",
        ),
        click.option("--domain", default=None, help="Dominio del destinatario (gmail.com)."),
        click.option("--search", default=None, help="Parte del nombre o del correo."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _block_filter(reasons, origin, since_from, since_to, domain, search):
    try:
        return blocks_module.BlockFilter(
            reasons=tuple(reasons),
            origin=origin,
            since_from=since_from.date() if since_from else None,
            since_to=since_to.date() if since_to else None,
            domain=domain,
            search=search,
        )
    except ValueError as error:
        raise click.ClickException(f"Filtro no válido: {error}") from error


@main.group(help="Contactos bloqueados: lista, exportación y levantar bloqueos.")
def blocks():
    pass


@blocks.command("list", help="Lista o exporta los contactos bloqueados (más recientes primero).")
@block_filters
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "csv", "suppression"]),
    default="table",
    show_default=True,
    help="table: en pantalla; csv: hoja de cálculo; suppression: una dirección por línea.",
)
@click.option(
    "--output", type=click.Path(dir_okay=False, writable=True), default=None, help="Archivo."
)
@click.option(
    "--limit", type=click.IntRange(1, 1000), default=50, show_default=True, help="Solo table."
)
@database_option
@_friendly_errors
def blocks_list(
    reasons, origin, since_from, since_to, domain, search, output_format, output, limit, database
):
    f = _block_filter(reasons, origin, since_from, since_to, domain, search)
    with _engine(database).connect() as conn:
        counts = blocks_module.block_counts(conn, f)
        total = int(counts["contacts"].sum())
        rows = blocks_module.blocked_page(
            conn, f, limit=limit if output_format == "table" else None
        )
    if output_format == "table":
        text = _blocks_table(counts, rows, total)
    elif output_format == "csv":
        text = csv_safe.write_csv(rows)
    else:
        text = blocks_module.suppression_list(rows["email"])
    if output:
        Path(output).write_text(text, encoding="utf-8")
        click.echo(f"{rows.height} contactos bloqueados escritos en {output}.", err=True)
    else:
        click.echo(text, nl=False)


def _blocks_table(counts, rows, total: int) -> str:
    if total == 0:
        return "Ningún contacto bloqueado con estos filtros.\n"
    by_reason = counts.group_by("reason").agg(pl.col("contacts").sum()).sort("reason")
    parts = ", ".join(f"{r} {n}" for r, n in by_reason.iter_rows())
    lines = [f"{total} contactos bloqueados ({parts}); se muestran {rows.height}."]
    for row in rows.iter_rows(named=True):
        cause = row["campaign_name"] or "-"
        lines.append(
            f"{row['since']:%Y-%m-%d}  {row['reason']:<16} {row['email']:<40} "
            f"{row['name'] or '-'}  [{cause}]"
        )
    return "\n".join(lines) + "\n"


def _emails_in(path: str) -> list[str]:
    """Addresses from a file: a CSV with an `email` column (such as `blocks list --format
    csv`), or one address a line (such as the suppression list)."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise click.ClickException(f"No se puede leer {path}: {error}") from error
    rows = [row for row in csv.reader(io.StringIO(text)) if row and any(c.strip() for c in row)]
    if not rows:
        return []
    header = [c.strip().lower() for c in rows[0]]
    if "email" in header:
        column = header.index("email")
        return [csv_safe.restore(r[column].strip()) for r in rows[1:] if len(r) > column]
    return [csv_safe.restore(r[0].strip()) for r in rows]


@blocks.command("lift", help="Levanta un bloqueo (con comentario) de uno o varios contactos.")
@click.option(
    "--reason", type=click.Choice(list(vocab.REASONS)), required=True, help="Motivo que se levanta."
)
@click.option("--email", "emails", multiple=True, help="Correo del contacto (se puede repetir).")
@click.option(
    "--file",
    "file",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="CSV con columna email, o una dirección por línea.",
)
@click.option(
    "--comment", required=True, help=f"Por qué (al menos {blocks_module.MIN_COMMENT} caracteres)."
)
@click.option(
    "--renewed-consent",
    is_flag=True,
    help="El contacto dio de nuevo su consentimiento (necesario para spam y bajas).",
)
@click.option("--by", "username", required=True, help="Usuario administrador que lo levanta.")
@click.option("--dry-run", is_flag=True, help="Comprueba y cuenta, sin guardar nada.")
@database_option
@_friendly_errors
def blocks_lift(reason, emails, file, comment, renewed_consent, username, dry_run, database):
    if bool(emails) == bool(file):
        raise click.ClickException("Indica --email o --file (uno de los dos).")
    wanted = list(emails) if emails else _emails_in(file)
    engine = _engine(database)
    try:
        with engine.begin() as conn:
            summary = blocks_module.lift_blocks_by_email(
                conn,
                wanted,
                reason,
                username=username,
                comment=comment,
                renewed_consent=renewed_consent,
                dry_run=dry_run,
            )
    except blocks_module.LiftRefused as refused:
        raise click.ClickException(str(refused)) from refused
    for email, problem in summary.problems[:50]:
        click.echo(f"{email}: {problem}", err=True)
    if len(summary.problems) > 50:
        click.echo(f"… y {len(summary.problems) - 50} más.", err=True)
    click.echo(summary.line())
