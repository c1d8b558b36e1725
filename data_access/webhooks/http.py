"""The webhook endpoints (Starlette routes): `POST /webhooks/{sendgrid,ses,mailgun,postmark}`.

They are mounted beside the dashboard by `streamlit_app.py` (`st.App(routes=routes, ...)`) and
also make a standalone ASGI app, `api`: `uvicorn data_access.webhooks.http:api`.

What a request goes through, in order (each refusal is one log line, never a traceback):
    no RASTRO_WEBHOOK_SECRET            503, nothing stored
    ?origin= other than campaign/automation   400
    wrong or missing basic auth         401, counted and audited with the remote address
    body over RASTRO_WEBHOOK_MAX_BYTES  413
    the provider's signature (SendGrid ECDSA, Mailgun HMAC, SNS) wrong or missing,
    SNS topic not allowed               401/403, counted and audited
    not that provider's format at all   400, the body kept in the quarantine
    database cannot be written          503 (Retry-After), so the provider tries again
    otherwise                           200 once the body is committed to the inbox
An SNS SubscriptionConfirmation for an allowed topic is confirmed (its SubscribeURL visited)
and answered 200; nothing is stored for it.
"""

import contextlib
import logging
import threading
import time
from collections.abc import Callable

import msgspec
import sqlalchemy as sa
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from .. import vocab
from ..bootstrap import open_database
from ..config import resolve_url
from ..engine import DatabaseUnavailable
from ..ingest import json_records, ses
from . import inbox, settings, verify
from .worker import WorkerThread, WriteGate

log = logging.getLogger("rastro.webhooks")
PATHS = {provider: f"/webhooks/{provider}" for provider in settings.PROVIDERS}
_decode = msgspec.json.decode


class Answer(Exception):
    """End the request with this status and Spanish message."""

    def __init__(self, status: int, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}


# --- is it the provider's format at all (cheap; the worker reads it in full) -----------------


def _json(body: bytes):
    try:
        return _decode(body)
    except msgspec.DecodeError:
        # msgspec refuses a lone surrogate escape ("\\ud800"), which is valid JSON: read as
        # the worker reads it, so that one such record goes to the quarantine, not the request.
        try:
            return json_records.loads(body.decode("utf-8"))
        except (ValueError, RecursionError):  # not JSON (or not UTF-8) either
            raise verify.Refused(400, "el cuerpo no es JSON válido") from None
    except (RecursionError, UnicodeDecodeError):
        raise verify.Refused(400, "el cuerpo no es JSON válido") from None


def _format_problem(provider: str, body: bytes, content_type: str | None) -> str | None:
    """Why the body is not that provider's webhook format, or None."""
    if provider == "mailgun" and verify.is_form(content_type):
        form = verify.form_fields(body)
        if form is None:
            return "no es un formulario de Mailgun"
        return None if form.first("event") else "formulario de Mailgun sin el campo event"
    data = _json(body)
    if provider == "sendgrid":
        if not isinstance(data, list) or not data:
            return "SendGrid envía una lista JSON de eventos"
        if not all(isinstance(e, dict) and "event" in e for e in data):
            return "hay elementos de la lista que no son eventos de SendGrid (falta event)"
        return None
    items = data if isinstance(data, list) else [data]
    if not items or not all(isinstance(e, dict) for e in items):
        return "se esperaba un objeto JSON"
    if provider == "postmark" and not all("RecordType" in e for e in items):
        return "no es un webhook de Postmark: falta RecordType"
    if provider == "mailgun" and not all(isinstance(e.get("event-data"), dict) for e in items):
        return "no es un webhook de Mailgun: falta event-data"
    return None


def _ses_notification(message: dict) -> str | None:
    """Why an SNS Notification does not carry an SES notification, or None. The topic
    validation notice is accepted: the worker counts it as ignored, like a file import."""
    if ses.is_topic_validation(message):
        return None
    try:
        inner = _decode(message.get("Message") or "")
    except (msgspec.DecodeError, RecursionError, TypeError):
        return "el Message del aviso SNS no es JSON"
    if not isinstance(inner, dict) or not any(
        isinstance(inner.get(k), str) for k in ("eventType", "notificationType")
    ):
        return "el Message del aviso SNS no es una notificación de Amazon SES"
    return None


# --- the service ------------------------------------------------------------------------------


class Service:
    """What the routes need: settings, the database, the SNS verifier and the worker.
    Everything is made on first use (the database may be down when the server starts) and
    can be given by the tests."""

    def __init__(
        self,
        *,
        settings_: settings.WebhookSettings | None = None,
        engine: sa.Engine | None = None,
        database_url: Callable[[], str | None] | None = None,
        sns: verify.SnsVerifier | None = None,
        worker: bool = True,
    ):
        self._settings = settings_
        self._engine = engine
        self._database_url = database_url or (lambda: None)
        self.sns = sns or verify.SnsVerifier()
        self._lock = threading.Lock()
        self.gate = WriteGate()
        self.worker = WorkerThread(self.engine, gate=self.gate) if worker else None

    def use_database_url(self, database_url: Callable[[], str | None]) -> None:
        """Where the database is (the dashboard passes its own resolver: the Streamlit secret)."""
        self._database_url = database_url

    @property
    def settings(self) -> settings.WebhookSettings:
        if self._settings is None:
            self._settings = settings.load()
        return self._settings

    def engine(self) -> sa.Engine:
        with self._lock:
            if self._engine is None:
                self._engine = open_database(resolve_url(self._database_url()))
            return self._engine

    def start_worker(self) -> None:
        if self.worker is not None:
            self.worker.start()

    # --- one request (runs in a worker thread of the server) ----------------------------------

    def receive(
        self,
        provider: str,
        body: bytes,
        headers,
        remote: str | None,
        origin: str | None,
    ) -> tuple[int, dict]:
        config = self.settings
        content_type = headers.get("content-type")
        try:
            message = self._authentic(provider, body, headers, config)
            if message is not None and message.get("Type") != "Notification":
                return self._sns_control(message, remote)
            problem = (
                _ses_notification(message)
                if message is not None
                else _format_problem(provider, body, content_type)
            )
        except verify.Refused as refused:
            if refused.status != 400:  # not authentic: nothing of it is kept
                self._refused(provider, remote, refused.reason, audit=True)
                raise Answer(refused.status, refused.reason) from None
            problem = refused.reason  # authentic (basic auth) but unreadable: quarantined
        with self._database_errors(), self.gate.request(), self.engine().begin() as conn:
            if problem is not None:
                inbox.quarantine_body(conn, provider, body, problem)
                inbox.refuse(conn, provider, remote, problem, audit=False)
            else:
                ident = inbox.add(
                    conn,
                    provider,
                    body,
                    remote_addr=remote,
                    content_type=content_type,
                    default_origin=origin,
                )
        if problem is not None:
            log.warning("webhook %s rechazado (400) desde %s: %s", provider, remote, problem)
            raise Answer(400, f"no es el formato de {provider}: {problem} (queda en cuarentena)")
        if self.worker is not None:
            self.worker.start()
            self.worker.notify()
        return 200, {"ok": True, "recibido": ident}

    def _authentic(self, provider, body, headers, config) -> dict | None:
        """Check the provider's own signature; the SNS message for SES, else None."""
        if provider == "sendgrid" and config.sendgrid_public_key:
            verify.check_sendgrid(
                config.sendgrid_public_key,
                body,
                headers.get("x-twilio-email-event-webhook-signature"),
                headers.get("x-twilio-email-event-webhook-timestamp"),
                max_age=config.max_age_seconds,
            )
        elif provider == "mailgun" and config.mailgun_signing_key:
            verify.check_mailgun(
                config.mailgun_signing_key,
                body,
                headers.get("content-type"),
                max_age=config.max_age_seconds,
            )
        elif provider == "ses":
            message = _json(body)
            if not isinstance(message, dict) or "Type" not in message:
                raise verify.Refused(403, "solo se aceptan mensajes SNS firmados")
            self.sns.verify(message, max_age=config.max_age_seconds)
            if message.get("TopicArn") not in config.ses_topic_arns:
                raise verify.Refused(
                    403, f"tema SNS no permitido: {message.get('TopicArn')} (RASTRO_SES_TOPIC_ARNS)"
                )
            return message
        return None

    def _sns_control(self, message: dict, remote: str | None) -> tuple[int, dict]:
        """A verified SubscriptionConfirmation (confirmed) or UnsubscribeConfirmation (noted)."""
        kind, topic = message.get("Type"), message.get("TopicArn")
        if kind == "SubscriptionConfirmation":
            try:
                self.sns.confirm(message)
            except verify.Refused as refused:
                self._refused("ses", remote, refused.reason, audit=True)
                raise Answer(refused.status, refused.reason) from None
            except OSError as error:
                log.warning(
                    "webhook ses: no se pudo confirmar la suscripción a %s: %s", topic, error
                )
                raise Answer(502, "no se pudo confirmar la suscripción SNS; reinténtalo") from None
            log.info("webhook ses: suscripción a %s confirmada", topic)
            self._count("ses", "accepted")
            return 200, {"ok": True, "suscripcion": "confirmada"}
        log.info("webhook ses: %s de %s", kind, topic)
        self._count("ses", "accepted")
        return 200, {"ok": True}

    @contextlib.contextmanager
    def _database_errors(self):
        try:
            yield
        except (sa.exc.SQLAlchemyError, DatabaseUnavailable) as error:
            detail = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
            log.warning("webhook: base de datos no disponible (503): %s", detail)
            raise Answer(
                503,
                "la base de datos no está disponible ahora; no se guardó nada, reinténtalo",
                {"Retry-After": "30"},
            ) from None

    def _count(self, provider: str, outcome: str) -> None:
        with (
            contextlib.suppress(sa.exc.SQLAlchemyError, DatabaseUnavailable),
            self.engine().begin() as conn,
        ):
            inbox.count(conn, provider, outcome)

    def _refused(self, provider: str, remote: str | None, reason: str, *, audit: bool) -> None:
        """One log line, and the count and audit entry when the database can take them."""
        log.warning("webhook %s rechazado desde %s: %s", provider, remote, reason)
        try:
            with self.engine().begin() as conn:
                inbox.refuse(conn, provider, remote, reason, audit=audit)
        except (sa.exc.SQLAlchemyError, DatabaseUnavailable) as error:
            detail = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
            log.warning("webhook %s: no se pudo anotar el rechazo: %s", provider, detail)


# --- the routes -------------------------------------------------------------------------------


async def _read_limited(request: Request, limit: int) -> bytes | None:
    """The raw body, or None when it is larger than `limit` (also for chunked bodies)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        return None
    buffer = bytearray()
    async for chunk in request.stream():
        buffer += chunk
        if len(buffer) > limit:
            return None
    return bytes(buffer)


def _answer(status: int, message: str, headers: dict | None = None) -> JSONResponse:
    ok = status < 300
    return JSONResponse({"ok": ok, "mensaje": message}, status, headers=headers)


def make_routes(service: Service) -> list[Route]:
    """One route per provider, for `service`."""

    def endpoint(provider: str):
        async def webhook(request: Request):
            if request.method != "POST":
                # Registered for GET too: otherwise Streamlit's catch-all answers 200 (its page).
                return _answer(405, "usa POST", {"Allow": "POST"})
            remote = request.client.host if request.client else None
            config = service.settings
            try:
                if not config.secret:
                    raise Answer(503, "webhooks sin configurar: falta RASTRO_WEBHOOK_SECRET")
                origin = request.query_params.get("origin")
                if origin is not None and origin not in vocab.ORIGINS:
                    raise Answer(400, "origin debe ser campaign o automation")
                try:
                    verify.check_basic_auth(request.headers.get("authorization"), config.secret)
                except verify.Refused as refused:
                    await run_in_threadpool(
                        service._refused, provider, remote, refused.reason, audit=True
                    )
                    raise Answer(
                        401, refused.reason, {"WWW-Authenticate": 'Basic realm="Rastro webhooks"'}
                    ) from None
                body = await _read_limited(request, config.max_bytes)
                if body is None:
                    reason = f"el cuerpo supera RASTRO_WEBHOOK_MAX_BYTES ({config.max_bytes} bytes)"
                    await run_in_threadpool(service._refused, provider, remote, reason, audit=False)
                    raise Answer(413, reason)
                status, payload = await run_in_threadpool(
                    service.receive, provider, body, request.headers, remote, origin
                )
            except Answer as answer:
                return _answer(answer.status, answer.message, answer.headers)
            return JSONResponse(payload, status)

        return webhook

    return [
        Route(path, endpoint(provider), methods=["GET", "POST"], name=f"webhook_{provider}")
        for provider, path in PATHS.items()
    ]


service = Service()
routes = make_routes(service)


@contextlib.asynccontextmanager
async def lifespan(_app):
    """Start the worker with the server (it processes what a previous run left) and stop it."""
    started = time.monotonic()
    service.start_worker()
    log.info("webhooks: trabajador en marcha (%.1f s)", time.monotonic() - started)
    try:
        yield
    finally:
        if service.worker is not None:
            await run_in_threadpool(service.worker.stop)


api = Starlette(routes=routes, lifespan=lifespan)
