"""The catalogue: every user-visible string of the dashboard, Spanish first, English second.

`md(key, language, **values)` is a catalogue text as Markdown, every value escaped unless it is
already Markdown (dashboard.markdown): what is drawn through Streamlit. `t(key, language,
**values)` is the same text plain, values as they are: for places that are not Markdown
(Altair titles, dataframe labels, selectbox options, file names) and for texts that are
escaped as a whole when drawn. `ui.text` / `ui.plain` use the session's language.
"""

from .markdown import Markdown, md_format

CATALOGUE: dict[str, dict[str, str]] = {
    "app.title": {"es": "Rastro", "en": "Rastro"},
    "app.tagline": {
        "es": "Qué pasó con los correos enviados a cada contacto: rebotes, spam y envíos no "
        "realizados, por campaña y por automatización.",
        "en": "What happened with the emails sent to each contact: bounces, spam and unsent "
        "emails, by campaign and by automation.",
    },
    "error.database": {
        "es": "No se puede abrir la base de datos. Revisa DATABASE_URL o el secreto "
        "connections.sql.url. Detalle: {detail}",
        "en": "The database cannot be opened. Check DATABASE_URL or the connections.sql.url "
        "secret. Detail: {detail}",
    },
    "error.database.connect": {
        "es": "No se puede conectar con la base de datos {where}: {detail}",
        "en": "Cannot connect to the database {where}: {detail}",
    },
    "error.database.folder": {
        "es": "No se puede crear la carpeta de la base de datos {database}: {detail}",
        "en": "Cannot create the database folder {database}: {detail}",
    },
    "error.database.corrupt": {
        "es": "El archivo de la base de datos {database} está dañado o no es una base de datos "
        "SQLite ({detail}). Restáuralo desde una copia de seguridad, o apártalo (muévelo o "
        "cámbiale el nombre) para empezar con una base de datos nueva: python -m data_access "
        "db upgrade la crea.",
        "en": "The database file {database} is damaged or is not an SQLite database ({detail}). "
        "Restore it from a backup, or move it aside (move or rename it) to start with a new "
        "database: python -m data_access db upgrade creates it.",
    },
    "error.database.url": {
        "es": "URL de base de datos no válida: {where} ({detail}). Usa "
        "sqlite:///ruta/rastro.sqlite3 o postgresql://usuario@servidor:5432/base.",
        "en": "Invalid database URL: {where} ({detail}). Use sqlite:///path/rastro.sqlite3 or "
        "postgresql://user@server:5432/database.",
    },
    "startup.opening": {
        "es": "Abriendo la base de datos…",
        "en": "Opening the database…",
    },
    "startup.connect": {
        "es": "Conectando con la base de datos.",
        "en": "Connecting to the database.",
    },
    "startup.migrate": {
        "es": "Aplicando las migraciones pendientes del esquema.",
        "en": "Applying the pending schema migrations.",
    },
    "startup.demo_generate": {
        "es": "Primer arranque: creando los datos de demostración ({contacts} contactos).",
        "en": "First start: creating the demo data ({contacts} contacts).",
    },
    "startup.demo_load": {
        "es": "Guardando {events} eventos de demostración e índices.",
        "en": "Storing {events} demo events and indexes.",
    },
    "startup.admin": {
        "es": "Comprobando la cuenta de administración.",
        "en": "Checking the administrator account.",
    },
    "startup.ready": {"es": "Base de datos lista.", "en": "Database ready."},
    "startup.failed": {
        "es": "No se pudo abrir la base de datos.",
        "en": "The database could not be opened.",
    },
    "error.query": {
        "es": "La base de datos no respondió a la consulta. Inténtalo de nuevo en unos "
        "segundos. Detalle: {detail}",
        "en": "The database did not answer the query. Try again in a few seconds. Detail: {detail}",
    },
    # Streamlit's own widget words (dashboard/chrome.py draws these over its English ones).
    "chrome.upload": {"es": "Elegir archivos", "en": "Upload"},
    "chrome.max_size": {"es": "Hasta {size} MB por archivo", "en": "{size}MB per file"},
    "chrome.drop": {"es": "Suelta los archivos aquí", "en": "Drag and drop files here"},
    "chrome.select_all": {"es": "Seleccionar todo", "en": "Select all"},
    "chrome.select_matches": {
        "es": "Seleccionar las coincidencias",
        "en": "Select the matches",
    },
    "settings.bad_timezone": {
        "es": "La zona horaria de RASTRO_TIMEZONE no existe; se usa America/Mexico_City.",
        "en": "The RASTRO_TIMEZONE time zone does not exist; using America/Mexico_City.",
    },
    "settings.bad_editor_url": {
        "es": "Una URL de editor (RASTRO_*_EDITOR_URL) no es válida (debe empezar por http(s) "
        "y contener {id}); se usa la predeterminada.",
        "en": "An editor URL (RASTRO_*_EDITOR_URL) is invalid (it must start with http(s) and "
        "contain {id}); using the default.",
    },
    "settings.bad_contact_url": {
        "es": "La URL de los contactos del CRM (RASTRO_CONTACT_URL) no es válida (debe empezar "
        "por http(s) y contener {id}); se usa la predeterminada.",
        "en": "The CRM contact URL (RASTRO_CONTACT_URL) is invalid (it must start with http(s) "
        "and contain {id}); using the default.",
    },
    "settings.bad_base_url": {
        "es": "RASTRO_BASE_URL no es una dirección http(s); los enlaces exportados usan la "
        "dirección del navegador.",
        "en": "RASTRO_BASE_URL is not an http(s) address; exported links use the browser's "
        "address.",
    },
    "settings.bad_number": {
        "es": "Un ajuste numérico (RASTRO_CACHE_TTL_SECONDS, RASTRO_IDLE_MINUTES, "
        "RASTRO_LOGIN_*) no es un número entero; se usa su valor predeterminado.",
        "en": "A numeric setting (RASTRO_CACHE_TTL_SECONDS, RASTRO_IDLE_MINUTES, "
        "RASTRO_LOGIN_*) is not a whole number; using its default.",
    },
    # --- Recepción (webhooks) ---
    "webhooks.page": {"es": "Recepción", "en": "Webhooks"},
    "webhooks.title": {"es": "Recepción de eventos en vivo", "en": "Live event reception"},
    "webhooks.intro": {
        "es": "Los proveedores envían aquí sus eventos en cuanto ocurren. Pega en la consola "
        "de cada proveedor su URL, con el usuario y la contraseña de RASTRO_WEBHOOK_SECRET; "
        "añade ?origin=campaign o ?origin=automation para los eventos que no lo indican.",
        "en": "Providers send their events here as they happen. Paste each provider's URL in "
        "its console, with the user and password of RASTRO_WEBHOOK_SECRET; add "
        "?origin=campaign or ?origin=automation for events that do not say.",
    },
    "webhooks.no_secret": {
        "es": "Falta RASTRO_WEBHOOK_SECRET: los webhooks responden 503 y no guardan nada.",
        "en": "RASTRO_WEBHOOK_SECRET is not set: the webhooks answer 503 and store nothing.",
    },
    "webhooks.provider": {"es": "Proveedor", "en": "Provider"},
    "webhooks.url": {
        "es": "URL para la consola del proveedor",
        "en": "URL for the provider's console",
    },
    "webhooks.signature": {"es": "Firma comprobada", "en": "Signature checked"},
    "webhooks.last": {"es": "Último recibido", "en": "Last received"},
    "webhooks.accepted": {"es": "Aceptadas (24 h)", "en": "Accepted (24 h)"},
    "webhooks.refused": {"es": "Rechazadas (24 h)", "en": "Refused (24 h)"},
    "webhooks.backlog": {"es": "Pendientes", "en": "Backlog"},
    "webhooks.quarantined": {"es": "En cuarentena", "en": "Quarantined"},
    "webhooks.yes": {"es": "Sí", "en": "Yes"},
    "webhooks.no": {"es": "No", "en": "No"},
    "webhooks.never": {"es": "Nunca", "en": "Never"},
    "webhooks.settings": {
        "es": "Ajustes (variables de entorno)",
        "en": "Settings (environment variables)",
    },
    "webhooks.set": {"es": "configurado", "en": "set"},
    "webhooks.unset": {"es": "sin configurar", "en": "not set"},
    "webhooks.setting.RASTRO_WEBHOOK_SECRET": {
        "es": "Usuario y contraseña (usuario:contraseña) que los proveedores ponen en la URL "
        "(autenticación básica HTTP). Obligatorio: sin él, los webhooks responden 503 y no "
        "guardan nada.",
        "en": "User and password (user:password) the providers put in the URL (HTTP basic "
        "auth). Required: without it the webhooks answer 503 and store nothing.",
    },
    "webhooks.setting.RASTRO_SENDGRID_WEBHOOK_PUBLIC_KEY": {
        "es": "Clave pública de verificación que muestra SendGrid (Event Webhook, Signature "
        "Verification). Con ella se exige y comprueba la firma ECDSA de cada envío.",
        "en": "The verification public key SendGrid shows (Event Webhook, Signature "
        "Verification). With it, every request's ECDSA signature is required and checked.",
    },
    "webhooks.setting.RASTRO_MAILGUN_WEBHOOK_SIGNING_KEY": {
        "es": "Clave de firma de webhooks de Mailgun (HTTP webhook signing key). Con ella se "
        "exige y comprueba la firma HMAC-SHA256 (timestamp + token) de cada envío.",
        "en": "Mailgun's HTTP webhook signing key. With it, every request's HMAC-SHA256 "
        "signature (timestamp + token) is required and checked.",
    },
    "webhooks.setting.RASTRO_SES_TOPIC_ARNS": {
        "es": "ARN de los temas SNS de Amazon SES que pueden enviar avisos, separados por comas. "
        "Sin ninguno se rechaza todo lo que llegue a /webhooks/ses. La firma SNS se comprueba "
        "siempre, con el certificado de sns.<región>.amazonaws.com.",
        "en": "ARNs of the Amazon SES SNS topics allowed to post, comma separated. With none, "
        "everything sent to /webhooks/ses is refused. The SNS signature is always checked, "
        "against the sns.<region>.amazonaws.com certificate.",
    },
    "webhooks.setting.RASTRO_WEBHOOK_MAX_AGE_SECONDS": {
        "es": "Antigüedad máxima, en segundos, de la marca de tiempo firmada. Por defecto no hay "
        "límite (un reenvío no duplica nada: cada evento se guarda una sola vez).",
        "en": "Oldest signed timestamp accepted, in seconds. No limit by default (a replay "
        "duplicates nothing: every event is stored once).",
    },
    "webhooks.setting.RASTRO_WEBHOOK_MAX_BYTES": {
        "es": "Tamaño máximo de un envío en bytes (por defecto 10 MiB); uno mayor recibe 413.",
        "en": "Largest request body in bytes (default 10 MiB); a larger one gets 413.",
    },
    # --- charts ---
    "chart.day": {"es": "Día", "en": "Day"},
    "chart.week": {"es": "Semana (desde el lunes)", "en": "Week (from Monday)"},
    "chart.period": {"es": "Periodo", "en": "Period"},
    "chart.week_of": {"es": "Semana del {day}", "en": "Week of {day}"},
    "chart.emails": {"es": "Correos", "en": "Emails"},
    "chart.notice": {"es": "Aviso", "en": "Notice"},
    "chart.origin": {"es": "Origen", "en": "Origin"},
    "chart.not_sent": {"es": "Correos no enviados", "en": "Emails not sent"},
    "chart.reason": {"es": "Motivo", "en": "Reason"},
    "chart.bounces": {"es": "Rebotes", "en": "Bounces"},
    "chart.hard": {"es": "Rebotes duros", "en": "Hard bounces"},
    "chart.category": {"es": "Causa del rebote", "en": "Bounce cause"},
    "chart.bounce_type": {"es": "Tipo de rebote", "en": "Bounce type"},
    "chart.bounce_rate": {"es": "Tasa de rebote", "en": "Bounce rate"},
    "chart.complaint_rate": {"es": "Tasa de quejas por spam", "en": "Spam complaint rate"},
    "chart.campaign": {"es": "Campaña o flujo", "en": "Campaign or flow"},
    "chart.sends": {"es": "Envíos", "en": "Sends"},
    "chart.spam": {"es": "Quejas por spam", "en": "Spam complaints"},
    "chart.domain": {"es": "Dominio del destinatario", "en": "Recipient domain"},
    "category.mailbox_unknown": {"es": "El buzón no existe", "en": "Mailbox does not exist"},
    "category.domain_unknown": {"es": "El dominio no existe", "en": "Domain does not exist"},
    "category.mailbox_full": {"es": "Buzón lleno", "en": "Mailbox full"},
    "category.mailbox_disabled": {"es": "Buzón desactivado", "en": "Mailbox disabled"},
    "category.blocked": {
        "es": "Bloqueado por política o filtro de spam",
        "en": "Blocked by policy or spam filter",
    },
    "category.temporary": {"es": "Fallo temporal (reintentar)", "en": "Temporary failure"},
    "category.other": {"es": "Otra causa", "en": "Other cause"},
    # --- reports page ---
    "reports.page": {"es": "Informes", "en": "Reports"},
    "reports.title": {
        "es": "Informes de rebotes, spam y envíos no realizados",
        "en": "Bounce, spam and unsent reports",
    },
    "reports.from": {"es": "Desde", "en": "From"},
    "reports.to": {"es": "Hasta", "en": "To"},
    "reports.origin": {"es": "Origen", "en": "Origin"},
    "reports.both": {"es": "Ambos", "en": "Both"},
    "reports.campaigns": {"es": "Campañas y flujos", "en": "Campaigns and flows"},
    "reports.campaigns_all": {
        "es": "Todas las campañas y flujos (elige para acotar)",
        "en": "All campaigns and flows (pick some to narrow down)",
    },
    "reports.clamped": {
        "es": "Solo hay datos del {first} al {last}: el informe muestra esos días.",
        "en": "There is data only from {first} to {last}: the report shows those days.",
    },
    "reports.bad_range": {
        "es": "La fecha inicial es posterior a la final: cámbialas para ver el informe.",
        "en": "The start date is after the end date: change them to see the report.",
    },
    "reports.definitions": {
        "es": "Tasa de rebote = rebotes / envíos (entregados + rebotados); tasa de quejas = "
        "quejas por spam / entregados.",
        "en": "Bounce rate = bounces / sends (delivered + bounced); complaint rate = spam "
        "complaints / delivered.",
    },
    "reports.days": {
        "es": "Días del calendario de {zone}, la zona horaria de la ficha.",
        "en": "Calendar days of {zone}, the card's time zone.",
    },
    "reports.days_other": {
        "es": "Los informes cuentan los días de {zone}, pero la ficha muestra las fechas en "
        "{card}: un aviso cerca de la medianoche cae en días distintos. Para contar los días de "
        "{card}, recalcula los resúmenes: {command}.",
        "en": "The reports count the days of {zone}, but the card shows dates in {card}: a "
        "notice near midnight falls on different days. To count the days of {card}, rebuild "
        "the summaries: {command}.",
    },
    "reports.empty": {
        "es": "No hay envíos en este periodo con estos filtros.",
        "en": "There are no sends in this period with these filters.",
    },
    "metric.sends": {"es": "Envíos", "en": "Sends"},
    "metric.delivered": {"es": "Entregados", "en": "Delivered"},
    "metric.bounced": {"es": "Rebotados", "en": "Bounced"},
    "metric.bounced_detail": {
        "es": "{hard} duros · {soft} suaves",
        "en": "{hard} hard · {soft} soft",
    },
    "metric.spam": {"es": "Quejas por spam", "en": "Spam complaints"},
    "metric.not_sent": {"es": "No enviados", "en": "Not sent"},
    "metric.bounce_rate": {"es": "Tasa de rebote", "en": "Bounce rate"},
    "metric.complaint_rate": {"es": "Tasa de quejas", "en": "Complaint rate"},
    "level.ok": {"es": "Normal", "en": "Normal"},
    "level.warning": {"es": "Aviso (> {limit})", "en": "Warning (> {limit})"},
    "level.critical": {"es": "Crítico (> {limit})", "en": "Critical (> {limit})"},
    "level.none": {"es": "Sin envíos", "en": "No sends"},
    "reports.limits": {
        "es": "Límites: rebote aviso > {bw}, crítico > {bc}; quejas aviso > {cw}, crítico > {cc} "
        "(el límite de los grandes proveedores de correo para envíos masivos).",
        "en": "Limits: bounce warning > {bw}, critical > {bc}; complaints warning > {cw}, "
        "critical > {cc} (the large mailbox providers' bulk-sender limit).",
    },
    "reports.timeline": {"es": "Avisos a lo largo del tiempo", "en": "Notices over time"},
    "reports.reasons": {"es": "Motivos de no envío", "en": "Reasons for not sending"},
    "reports.categories": {"es": "Rebotes por tipo y causa", "en": "Bounces by type and cause"},
    "reports.campaigns_rank": {
        "es": "Campañas y flujos con más problemas",
        "en": "Campaigns and flows with most problems",
    },
    "reports.rank_by": {"es": "Ordenar por", "en": "Rank by"},
    "reports.campaigns_note": {
        "es": "Solo campañas y flujos con al menos {min} envíos en el periodo, para que uno "
        "con muy pocos no encabece la lista por casualidad.",
        "en": "Only campaigns and flows with at least {min} sends in the period, so that one "
        "with very few does not top the list by chance.",
    },
    "reports.campaigns_note_hidden": {
        "es": "Solo campañas y flujos con al menos {min} envíos en el periodo, para que uno "
        "con muy pocos no encabece la lista por casualidad ({hidden} con menos envíos no se "
        "muestran).",
        "en": "Only campaigns and flows with at least {min} sends in the period, so that one "
        "with very few does not top the list by chance ({hidden} with fewer sends are not "
        "shown).",
    },
    "reports.domains": {
        "es": "Dominios de destinatarios con más rebotes",
        "en": "Recipient domains with most bounces",
    },
    "reports.domains_note": {
        "es": "Por meses completos y origen (no por campaña); solo dominios con al menos "
        "{min} envíos, para que uno pequeño no encabece la lista por casualidad.",
        "en": "By whole months and origin (not by campaign); only domains with at least {min} "
        "sends, so that a tiny domain does not top the list by chance.",
    },
    "reports.none": {
        "es": "Nada que mostrar con estos filtros.",
        "en": "Nothing to show with these filters.",
    },
    "drill.title": {"es": "Contactos afectados", "en": "Affected contacts"},
    "drill.pick": {
        "es": "Elige una barra de un gráfico o un tipo de aviso",
        "en": "Pick a bar in a chart or a kind of notice",
    },
    "drill.none": {"es": "—", "en": "—"},
    "drill.in_campaign": {"es": "{what} en «{campaign}»", "en": "{what} in “{campaign}”"},
    "drill.in_domain": {"es": "{what} en {domain}", "en": "{what} at {domain}"},
    "drill.status": {"es": "Estado", "en": "Status"},
    "drill.reason": {"es": "Motivo del bloqueo", "en": "Block reason"},
    "drill.status_blocked": {"es": "Bloqueado", "en": "Blocked"},
    "drill.status_unknown": {"es": "Sin evaluar", "en": "Not evaluated"},
    "drill.count": {"es": "{total} contactos", "en": "{total} contacts"},
    "drill.download": {"es": "Descargar CSV", "en": "Download CSV"},
    "drill.name": {"es": "Nombre", "en": "Name"},
    "drill.email": {"es": "Correo", "en": "Email"},
    "drill.last": {"es": "Último aviso", "en": "Last notice"},
    "drill.events": {"es": "Avisos", "en": "Notices"},
    "drill.card": {"es": "Ficha", "en": "Card"},
    "drill.open": {"es": "Abrir ficha", "en": "Open card"},
    # --- import page ---
    "import.page": {"es": "Importar eventos", "en": "Import events"},
    "import.title": {"es": "Importar eventos de entrega", "en": "Import delivery events"},
    "import.intro": {
        "es": "Sube los archivos que envía tu proveedor de correo. Cada evento se guarda una "
        "sola vez; lo que no se puede guardar queda en cuarentena con el motivo.",
        "en": "Upload the files your email provider sends. Each event is stored once; what "
        "cannot be stored goes to the quarantine with the reason.",
    },
    "import.provider": {"es": "Proveedor", "en": "Provider"},
    "import.origin": {"es": "Origen si el archivo no lo indica", "en": "Origin when missing"},
    "import.origin_file": {"es": "Solo el del archivo", "en": "Only the file's"},
    "import.origin_help": {
        "es": "Los eventos sin la clave origin van a cuarentena, salvo que elijas aquí un origen.",
        "en": "Events without the origin key go to the quarantine unless you choose one here.",
    },
    "import.campaign": {
        "es": "Campaña o flujo si el archivo no lo indica (id del CRM)",
        "en": "Campaign or flow when missing (CRM id)",
    },
    "import.campaign_help": {
        "es": "Si no se indica, esos eventos van a «Campaña sin identificar» o «Flujo sin "
        "identificar».",
        "en": "When empty, those events go to the unidentified campaign or flow.",
    },
    "import.unknown": {
        "es": "Destinatarios que aún no son contactos",
        "en": "Recipients who are not contacts yet",
    },
    "import.unknown_create": {"es": "Crear el contacto", "en": "Create the contact"},
    "import.unknown_quarantine": {"es": "Enviar a cuarentena", "en": "Send to quarantine"},
    "import.files": {"es": "Archivos", "en": "Files"},
    "import.submit": {"es": "Importar", "en": "Import"},
    "import.no_files": {"es": "Elige al menos un archivo.", "en": "Choose at least one file."},
    "import.running": {"es": "Importando {name}…", "en": "Importing {name}…"},
    "import.format_error": {
        "es": "{name}: no se importó nada. {detail}",
        "en": "{name}: nothing was imported. {detail}",
    },
    "import.done": {
        "es": "Importación terminada: {files}, {events}.",
        "en": "Import finished: {files}, {events}.",
    },
    "import.done_quarantined": {
        "es": "Importación terminada: {files}, {events}; {records} en la cuarentena (los "
        "motivos, aquí abajo en «Cuarentena»).",
        "en": "Import finished: {files}, {events}; {records} in the quarantine (the reasons are "
        "below, under “Quarantine”).",
    },
    "import.nothing_received": {
        "es": "No se guardó nada: {files} sin ningún registro.",
        "en": "Nothing was stored: {files} without any record.",
    },
    "import.all_quarantined": {
        "es": "No se guardó nada: todo lo recibido ({records}, {files}) está en la cuarentena. "
        "Los motivos, aquí abajo en «Cuarentena».",
        "en": "Nothing was stored: everything received ({records}, {files}) is in the "
        "quarantine. The reasons are below, under “Quarantine”.",
    },
    "import.all_duplicates": {
        "es": "Nada nuevo: todo lo recibido ({events}, {files}) ya estaba guardado.",
        "en": "Nothing new: everything received ({events}, {files}) was already stored.",
    },
    "import.nothing_new": {
        "es": "No se guardó ningún evento nuevo ({files}). Duplicados: {duplicates}; "
        "ignorados: {ignored}; en cuarentena: {quarantined}.",
        "en": "No new event was stored ({files}). Duplicates: {duplicates}; ignored: "
        "{ignored}; quarantined: {quarantined}.",
    },
    "count.files_one": {"es": "1 archivo", "en": "1 file"},
    "count.files": {"es": "{count} archivos", "en": "{count} files"},
    "count.records_one": {"es": "1 registro", "en": "1 record"},
    "count.records": {"es": "{count} registros", "en": "{count} records"},
    "count.rows_one": {"es": "1 fila", "en": "1 row"},
    "count.rows": {"es": "{count} filas", "en": "{count} rows"},
    "count.events_one": {"es": "1 evento", "en": "1 event"},
    "count.events": {"es": "{count} eventos", "en": "{count} events"},
    "count.new_events_one": {"es": "1 evento nuevo", "en": "1 new event"},
    "count.new_events": {"es": "{count} eventos nuevos", "en": "{count} new events"},
    "count.new_contacts_one": {"es": "1 contacto nuevo", "en": "1 new contact"},
    "count.new_contacts": {"es": "{count} contactos nuevos", "en": "{count} new contacts"},
    "count.updated_contacts_one": {"es": "1 actualizado", "en": "1 updated"},
    "count.updated_contacts": {"es": "{count} actualizados", "en": "{count} updated"},
    "import.balance": {
        "es": "En cada archivo: recibidos = guardados + duplicados + ignorados + en cuarentena. "
        "Ignorados: aperturas, clics, correo entrante y reintentos, que no son eventos de "
        "entrega.",
        "en": "For each file: received = stored + duplicates + ignored + quarantined. Ignored: "
        "opens, clicks, inbound mail and retries, which are not delivery events.",
    },
    "import.col_file": {"es": "Archivo", "en": "File"},
    "import.col_received": {"es": "Recibidos", "en": "Received"},
    "import.col_stored": {"es": "Guardados", "en": "Stored"},
    "import.col_duplicates": {"es": "Duplicados", "en": "Duplicates"},
    "import.col_ignored": {"es": "Ignorados", "en": "Ignored"},
    "import.col_quarantined": {"es": "En cuarentena", "en": "Quarantined"},
    "import.col_position": {"es": "Posición", "en": "Position"},
    "import.col_reason": {"es": "Motivo", "en": "Reason"},
    "import.col_raw": {"es": "Contenido recibido", "en": "Content received"},
    "import.quarantine": {
        "es": "Cuarentena (los {count} registros más recientes)",
        "en": "Quarantine (the {count} most recent records)",
    },
    "import.quarantine_none": {"es": "Cuarentena (vacía)", "en": "Quarantine (empty)"},
    "import.quarantine_one": {
        "es": "Cuarentena (1 registro)",
        "en": "Quarantine (1 record)",
    },
    "import.quarantine_empty": {
        "es": "La cuarentena está vacía.",
        "en": "The quarantine is empty.",
    },
    # Why a whole file was refused (data_access.ingest.ImportRefused: key and params); the
    # Spanish text is the exception's own message, which the CLI prints.
    "import.refused.unknown_provider": {
        "es": "Proveedor desconocido: {provider}. Usa uno de: {providers}",
        "en": "Unknown provider: {provider}. Use one of: {providers}",
    },
    "import.refused.not_utf8": {
        "es": "El archivo no es texto UTF-8 (byte {byte}).",
        "en": "The file is not UTF-8 text (byte {byte}).",
    },
    "import.refused.unreadable_file": {
        "es": "No se puede leer {path}: {detail}",
        "en": "{path} cannot be read: {detail}",
    },
    "import.refused.concurrent_import": {
        "es": "otra importación guardó eventos a la vez; no se guardó nada de este archivo: "
        "vuelve a importarlo",
        "en": "another import stored events at the same time; nothing of this file was "
        "stored: import it again",
    },
    "import.refused.import_running": {
        "es": "otra importación está escribiendo en la base de datos y no terminó en {seconds} "
        "s; no se guardó nada de este archivo: vuelve a importarlo cuando termine (la espera "
        "la fija {name})",
        "en": "another import is writing to the database and did not finish within {seconds} "
        "s; nothing of this file was stored: import it again when it is done (the wait is "
        "set by {name})",
    },
    "import.refused.too_large": {
        "es": "El archivo pasa de {megabytes} MB, el máximo que se importa. Divídelo en "
        "archivos más pequeños o sube {name}.",
        "en": "The file is over {megabytes} MB, the largest file imported. Split it into "
        "smaller files or raise {name}.",
    },
    "import.refused.bad_setting": {
        "es": "{name} debe ser un número mayor que 0 (vale «{value}»).",
        "en": "{name} must be a number greater than 0 (it is “{value}”).",
    },
    "import.refused.empty_file": {"es": "El archivo está vacío.", "en": "The file is empty."},
    "import.refused.json_empty": {"es": "el fichero está vacío", "en": "the file is empty"},
    "import.refused.not_json": {
        "es": "no es JSON: línea {line}, {detail}",
        "en": "not JSON: line {line}, {detail}",
    },
    "import.refused.bodies_not_json": {
        "es": "No es un archivo de {provider}: no se puede leer como JSON ({reason}).",
        "en": "Not a {provider} file: it cannot be read as JSON ({reason}).",
    },
    "import.refused.sendgrid_empty": {
        "es": "no hay ningún evento en el fichero",
        "en": "there is no event in the file",
    },
    "import.refused.sendgrid_foreign": {
        "es": "no parece un fichero de eventos de SendGrid: ningún objeto tiene «event» junto "
        "a «email», «timestamp» o «sg_event_id»",
        "en": "this does not look like a SendGrid events file: no object has “event” next to "
        "“email”, “timestamp” or “sg_event_id”",
    },
    "import.refused.ses_empty": {
        "es": "no hay ninguna notificación en el fichero",
        "en": "there is no notification in the file",
    },
    "import.refused.ses_foreign": {
        "es": "no parece un fichero de notificaciones de Amazon SES: ningún objeto tiene "
        "«eventType» o «notificationType» ni es un sobre SNS",
        "en": "this does not look like an Amazon SES notifications file: no object has "
        "“eventType” or “notificationType” or is an SNS envelope",
    },
    "import.refused.mailgun_foreign": {
        "es": "No es un archivo de Mailgun: ningún registro tiene event-data ni un evento "
        "con recipient.",
        "en": "Not a Mailgun file: no record has event-data or an event with a recipient.",
    },
    "import.refused.mailgun_not_json_nor_form": {
        "es": "No es un archivo de Mailgun: no es JSON ni un formulario de webhook ({reason}).",
        "en": "Not a Mailgun file: it is neither JSON nor a webhook form ({reason}).",
    },
    "import.refused.mailgun_forms_foreign": {
        "es": "No es un archivo de Mailgun: ningún formulario tiene el campo event.",
        "en": "Not a Mailgun file: no form has the event field.",
    },
    "import.refused.postmark_foreign": {
        "es": "No es un archivo de Postmark: ningún registro tiene RecordType.",
        "en": "Not a Postmark file: no record has a RecordType.",
    },
    "import.refused.csv_empty": {
        "es": "El archivo está vacío: falta la fila de cabecera.",
        "en": "The file is empty: the header row is missing.",
    },
    "import.refused.csv_unreadable": {
        "es": "CSV ilegible desde la línea {line}: {detail}",
        "en": "Unreadable CSV from line {line}: {detail}",
    },
    "import.refused.csv_unnamed_column": {
        "es": "Columna sin nombre en la cabecera (columna {column}).",
        "en": "A column without a name in the header (column {column}).",
    },
    "import.refused.csv_unknown_columns": {
        "es": "Columnas desconocidas: {columns}. Las válidas son: {valid}.",
        "en": "Unknown columns: {columns}. The valid ones are: {valid}.",
    },
    "import.refused.csv_repeated_columns": {
        "es": "Columnas repetidas: {columns}.",
        "en": "Repeated columns: {columns}.",
    },
    "import.refused.csv_missing_columns": {
        "es": "Faltan columnas obligatorias: {columns}.",
        "en": "Required columns missing: {columns}.",
    },
    # --- contacts from the CRM (import page) ---
    "import.kind": {"es": "Qué importar", "en": "What to import"},
    "import.kind_events": {"es": "Eventos de entrega", "en": "Delivery events"},
    "import.kind_contacts": {"es": "Contactos del CRM", "en": "CRM contacts"},
    "crm_import.title": {"es": "Importar contactos del CRM", "en": "Import CRM contacts"},
    "crm_import.intro": {
        "es": "Sube la lista de contactos exportada del CRM (CSV con las columnas email, name, "
        "crm_id y created_at; solo email es obligatoria). Cada contacto se busca por su "
        "dirección: los nuevos se crean y a los que ya existen se les actualizan el nombre y el "
        "id del CRM; sus eventos no cambian. Lo que no se puede guardar queda en cuarentena.",
        "en": "Upload the contact list exported from the CRM (CSV with the columns email, name, "
        "crm_id and created_at; only email is required). Each contact is matched by its "
        "address: new ones are created, existing ones get the name and CRM id updated; their "
        "events do not change. What cannot be stored goes to the quarantine.",
    },
    "crm_import.files": {"es": "Archivos CSV de contactos", "en": "Contact CSV files"},
    "crm_import.submit": {"es": "Importar contactos", "en": "Import contacts"},
    "crm_import.running": {"es": "Importando {name}…", "en": "Importing {name}…"},
    "crm_import.progress": {
        "es": "{name}: {done} de {total} filas",
        "en": "{name}: {done} of {total} rows",
    },
    "crm_import.done": {
        "es": "Importación terminada: {files}, {created} y {updated}.",
        "en": "Import finished: {files}, {created} and {updated}.",
    },
    "crm_import.some_quarantined": {
        "es": "En la cuarentena: {rows} (los motivos, aquí abajo en «Cuarentena»).",
        "en": "In the quarantine: {rows} (the reasons are below, under “Quarantine”).",
    },
    "crm_import.all_unchanged": {
        "es": "Nada cambió: los contactos recibidos ({files}) ya estaban al día.",
        "en": "Nothing changed: the contacts received ({files}) were already up to date.",
    },
    "crm_import.nothing_new": {
        "es": "Ningún contacto nuevo ni actualizado ({files}). Sin cambios: {unchanged}; en "
        "cuarentena: {quarantined}.",
        "en": "No new or updated contact ({files}). Unchanged: {unchanged}; quarantined: "
        "{quarantined}.",
    },
    "crm_import.balance": {
        "es": "En cada archivo: recibidos = creados + actualizados + sin cambios + en "
        "cuarentena. Una dirección repetida vale por su última fila; un id del CRM que ya es "
        "de otro contacto va a cuarentena.",
        "en": "For each file: received = created + updated + unchanged + quarantined. A "
        "repeated address counts by its last row; a CRM id that belongs to another contact "
        "goes to the quarantine.",
    },
    "crm_import.col_created": {"es": "Creados", "en": "Created"},
    "crm_import.col_updated": {"es": "Actualizados", "en": "Updated"},
    "crm_import.col_unchanged": {"es": "Sin cambios", "en": "Unchanged"},
    "provider.crm_contacts": {"es": "Contactos del CRM", "en": "CRM contacts"},
    "provider.sendgrid": {"es": "SendGrid (Event Webhook)", "en": "SendGrid (Event Webhook)"},
    "provider.ses": {
        "es": "Amazon SES (también dentro de SNS)",
        "en": "Amazon SES (also inside SNS)",
    },
    "provider.mailgun": {"es": "Mailgun (webhooks)", "en": "Mailgun (webhooks)"},
    "provider.postmark": {"es": "Postmark (webhooks)", "en": "Postmark (webhooks)"},
    "provider.csv": {"es": "CSV genérico", "en": "Generic CSV"},
    # --- blocked contacts page ---
    "blocks.page": {"es": "Bloqueados", "en": "Blocked"},
    "blocks.title": {"es": "Contactos bloqueados", "en": "Blocked contacts"},
    "blocks.intro": {
        "es": "Contactos a los que no se enviarán los próximos correos, con el motivo, desde "
        "cuándo y el correo que lo causó. Abre la ficha de un contacto para levantar un bloqueo.",
        "en": "Contacts the next emails will not be sent to, with the reason, since when and "
        "the email that caused it. Open a contact's card to lift a block.",
    },
    "blocks.reasons": {"es": "Motivos", "en": "Reasons"},
    "blocks.reasons_all": {"es": "Todos los motivos", "en": "Every reason"},
    "blocks.origin": {
        "es": "Origen del correo que lo causó",
        "en": "Origin of the email that caused it",
    },
    "blocks.origin_all": {"es": "Todos", "en": "All"},
    "blocks.since_from": {"es": "Bloqueado desde", "en": "Blocked from"},
    "blocks.since_to": {"es": "Hasta", "en": "To"},
    "blocks.domain": {"es": "Dominio del destinatario", "en": "Recipient domain"},
    "blocks.domain_placeholder": {"es": "p. ej. gmail.com", "en": "e.g. gmail.com"},
    "blocks.search": {"es": "Nombre o correo", "en": "Name or email"},
    "blocks.search_placeholder": {"es": "p. ej. núñez", "en": "e.g. núñez"},
    "blocks.total": {"es": "Bloqueados con estos filtros", "en": "Blocked with these filters"},
    "blocks.by_reason": {"es": "Por motivo", "en": "By reason"},
    "blocks.by_origin": {
        "es": "Por origen del correo que lo causó",
        "en": "By origin of the email that caused it",
    },
    "blocks.empty": {
        "es": "Ningún contacto bloqueado con estos filtros.",
        "en": "No blocked contact with these filters.",
    },
    "blocks.utc": {
        "es": "Las fechas de los filtros son días UTC; la de cada bloqueo, en tu zona horaria.",
        "en": "Filter dates are UTC days; each block's date is in your time zone.",
    },
    "blocks.col_name": {"es": "Nombre", "en": "Name"},
    "blocks.col_email": {"es": "Correo", "en": "Email"},
    "blocks.col_reason": {"es": "Motivo", "en": "Reason"},
    "blocks.col_since": {"es": "Bloqueado desde", "en": "Blocked since"},
    "blocks.col_origin": {"es": "Origen", "en": "Origin"},
    "blocks.col_campaign": {"es": "Campaña o flujo que lo causó", "en": "Campaign or flow"},
    "blocks.col_editor": {"es": "Editor", "en": "Editor"},
    "blocks.col_card": {"es": "Ficha", "en": "Card"},
    "blocks.open_editor": {"es": "Abrir editor", "en": "Open editor"},
    "blocks.open_card": {"es": "Abrir ficha", "en": "Open card"},
    "blocks.rows": {
        "es": "Contactos {first}–{last} de {total}",
        "en": "Contacts {first}–{last} of {total}",
    },
    "blocks.download_csv": {"es": "Descargar CSV", "en": "Download CSV"},
    "blocks.download_list": {
        "es": "Descargar lista de supresión",
        "en": "Download suppression list",
    },
    "blocks.download_help": {
        "es": "El CSV lleva las columnas de la tabla (las celdas que una hoja de cálculo "
        "ejecutaría como fórmula empiezan por un apóstrofo). La lista de supresión tiene una "
        "dirección por línea, como la piden los proveedores para importarla.",
        "en": "The CSV has the table's columns (cells a spreadsheet would run as a formula "
        "start with an apostrophe). The suppression list has one address a line, as "
        "providers import it.",
    },
    # --- lifting a block (on the card) ---
    "lift.title": {"es": "Levantar bloqueo: {reason}", "en": "Lift block: {reason}"},
    "lift.intro_bounce": {
        "es": "Para un falso positivo (el buzón funciona). Si vuelve a rebotar, el contacto "
        "se bloqueará de nuevo.",
        "en": "For a false positive (the mailbox works). If it bounces again, the contact is "
        "blocked again.",
    },
    "lift.intro_consent": {
        "es": "Solo si el contacto ha dado de nuevo su consentimiento para recibir correos. Una "
        "nueva queja o baja lo bloqueará otra vez.",
        "en": "Only if the contact has given consent to receive emails again. A new complaint "
        "or unsubscribe blocks it again.",
    },
    "lift.comment": {
        "es": "Comentario (obligatorio, al menos {min} caracteres)",
        "en": "Comment (required, at least {min} characters)",
    },
    "lift.comment_placeholder": {
        "es": "p. ej. el buzón funciona de nuevo: confirmado por teléfono con el contacto",
        "en": "e.g. the mailbox works again: confirmed by phone with the contact",
    },
    "lift.consent": {
        "es": "El contacto ha dado de nuevo su consentimiento para recibir correos",
        "en": "The contact has given consent to receive emails again",
    },
    "lift.confirm": {
        "es": "Confirmo que quiero levantar este bloqueo",
        "en": "I confirm that I want to lift this block",
    },
    "lift.submit": {"es": "Levantar bloqueo", "en": "Lift block"},
    "lift.need_confirm": {
        "es": "Marca la confirmación para levantar el bloqueo.",
        "en": "Tick the confirmation to lift the block.",
    },
    "lift.need_comment": {
        "es": "El comentario es obligatorio: escribe al menos {min} caracteres.",
        "en": "The comment is required: write at least {min} characters.",
    },
    "lift.need_consent": {
        "es": "Para levantar este bloqueo, marca que el contacto dio de nuevo su consentimiento.",
        "en": "To lift this block, tick that the contact gave consent again.",
    },
    "lift.done": {"es": "Bloqueo levantado: {reason}.", "en": "Block lifted: {reason}."},
    "lift.done_still": {
        "es": "Bloqueo levantado: {reason}. Otros motivos siguen bloqueando al contacto.",
        "en": "Block lifted: {reason}. Other reasons still block the contact.",
    },
    "lift.invalid": {
        "es": "La dirección de correo es inválida: corrígela en el CRM. Este bloqueo no se "
        "puede levantar.",
        "en": "The email address is invalid: correct it in the CRM. This block cannot be lifted.",
    },
    "lift.shown": {
        "es": "Bloqueo levantado ({reason}) el {date} por {who}: «{comment}»",
        "en": "Block lifted ({reason}) on {date} by {who}: “{comment}”",
    },
    "lift.shown_consent": {
        "es": "El contacto dio de nuevo su consentimiento.",
        "en": "The contact gave consent again.",
    },
    "lift.detail": {"es": "{who}: {comment}", "en": "{who}: {comment}"},
    "lift.detail_consent": {
        "es": "{who}: {comment} (consentimiento renovado)",
        "en": "{who}: {comment} (consent renewed)",
    },
    "lift.refused.not_admin": {
        "es": "No autorizado: solo un administrador activo puede levantar un bloqueo.",
        "en": "Not authorised: only an active administrator can lift a block.",
    },
    "lift.refused.comment_short": {
        "es": "El comentario es obligatorio: escribe al menos {min} caracteres.",
        "en": "The comment is required: write at least {min} characters.",
    },
    "lift.refused.unknown_contact": {
        "es": "Este contacto ya no existe.",
        "en": "This contact no longer exists.",
    },
    "lift.refused.unknown_reason": {"es": "Motivo desconocido.", "en": "Unknown reason."},
    "lift.refused.not_liftable": {
        "es": "Una dirección inválida no se puede desbloquear: corrígela en el CRM.",
        "en": "An invalid address cannot be unblocked: correct it in the CRM.",
    },
    "lift.refused.not_blocked": {
        "es": "El contacto ya no está bloqueado por ese motivo (puede que otra persona lo haya "
        "levantado).",
        "en": "The contact is no longer blocked for that reason (someone else may have lifted it).",
    },
    "lift.refused.consent_required": {
        "es": "Para levantar una queja por spam o una baja hace falta el consentimiento "
        "renovado del contacto.",
        "en": "Lifting a spam complaint or an unsubscribe needs the contact's renewed consent.",
    },
    # --- access ---
    "auth.page": {"es": "Entrar", "en": "Sign in"},
    "auth.refusal_page": {"es": "No autorizado", "en": "Not authorised"},
    "auth.who": {
        "es": "Usuarios autorizados: Administradores.",
        "en": "Authorised users: Administrators.",
    },
    "auth.username": {"es": "Usuario", "en": "Username"},
    "auth.password": {"es": "Contraseña", "en": "Password"},
    "auth.submit": {"es": "Entrar", "en": "Sign in"},
    "auth.sso": {
        "es": "Entrar con el proveedor de identidad de la empresa",
        "en": "Sign in with the company's identity provider",
    },
    "auth.bad_credentials": {
        "es": "Usuario o contraseña incorrectos.",
        "en": "Wrong username or password.",
    },
    "auth.throttled": {
        "es": "Demasiados intentos fallidos con este usuario. Espera {minutes} minutos y "
        "vuelve a intentarlo.",
        "en": "Too many failed attempts for this username. Wait {minutes} minutes and try again.",
    },
    "auth.disabled": {
        "es": "Tu cuenta está desactivada. Pide a un administrador que la vuelva a activar.",
        "en": "Your account is disabled. Ask an administrator to enable it again.",
    },
    "auth.disabled_now": {
        "es": "Tu sesión se ha cerrado: la cuenta ya no está activa.",
        "en": "Your session was closed: the account is no longer active.",
    },
    "auth.expired": {
        "es": "Tu sesión ha caducado por inactividad. Vuelve a entrar.",
        "en": "Your session expired after a period of inactivity. Sign in again.",
    },
    "auth.signed_out": {"es": "Has cerrado la sesión.", "en": "You have signed out."},
    "auth.sso_unknown": {
        "es": "Tu cuenta del proveedor de identidad no está autorizada en Rastro. Pide a un "
        "administrador que te dé de alta con ese correo.",
        "en": "Your identity-provider account is not authorised in Rastro. Ask an "
        "administrator to add you with that email.",
    },
    "auth.no_users": {
        "es": "Todavía no hay usuarios. Crea un administrador desde la terminal: "
        'python -m data_access users add NOMBRE --name "Nombre" --role admin',
        "en": "There are no users yet. Create an administrator from the terminal: "
        'python -m data_access users add NAME --name "Name" --role admin',
    },
    "auth.sign_in_first": {
        "es": "Inicia sesión para ver esta página.",
        "en": "Sign in to see this page.",
    },
    "auth.not_authorised": {
        "es": "No autorizado: Rastro solo está disponible para administradores "
        "(Usuarios autorizados: Administradores).",
        "en": "Not authorised: Rastro is only available to administrators "
        "(Authorised users: Administrators).",
    },
    "auth.signed_in_as": {"es": "Sesión de {name} ({role})", "en": "Signed in as {name} ({role})"},
    "auth.sign_out": {"es": "Cerrar sesión", "en": "Sign out"},
    "auth.lifetime": {
        "es": "Tu sesión ha llegado a su duración máxima ({hours} horas). Vuelve a entrar.",
        "en": "Your session reached its maximum length ({hours} hours). Sign in again.",
    },
    "auth.password_changed": {
        "es": "Tu sesión se ha cerrado: la contraseña de la cuenta ha cambiado. Vuelve a entrar.",
        "en": "Your session was closed: the account's password changed. Sign in again.",
    },
    "auth.redirecting": {"es": "Un momento…", "en": "One moment…"},
    "auth.continue": {"es": "Continuar", "en": "Continue"},
    "auth.sso_continue": {
        "es": "Continuar como {email}",
        "en": "Continue as {email}",
    },
    "role.admin": {"es": "administrador", "en": "administrator"},
    "role.seller": {"es": "vendedor", "en": "seller"},
    "language.switch": {"es": "English", "en": "English"},
    # --- the words (DESIGN.md) ---
    "origin.campaign": {"es": "Correo de campaña", "en": "Campaign email"},
    "origin.automation": {"es": "Correo de automatización", "en": "Automation email"},
    "origin.none": {"es": "Sin correo asociado", "en": "No email attached"},
    "event.sent": {"es": "Enviado", "en": "Sent"},
    "event.delivered": {"es": "Enviado correctamente", "en": "Delivered"},
    "event.bounced": {"es": "Rebotó", "en": "Bounced"},
    "event.spam_complaint": {"es": "Marcado como spam", "en": "Marked as spam"},
    "event.not_sent": {"es": "No enviado", "en": "Not sent"},
    "event.unsubscribed": {"es": "Canceló la suscripción", "en": "Unsubscribed"},
    "event.resubscribed": {"es": "Volvió a suscribirse", "en": "Re-subscribed"},
    "event.block_lifted": {"es": "Bloqueo levantado", "en": "Block lifted"},
    "bounce.hard": {"es": "rebote duro", "en": "hard bounce"},
    "bounce.soft": {"es": "rebote suave", "en": "soft bounce"},
    "bounce.undetermined": {"es": "rebote sin clasificar", "en": "unclassified bounce"},
    "reason.invalid_address": {
        "es": "La dirección de correo es inválida",
        "en": "The email address is invalid",
    },
    "reason.previous_spam": {
        "es": "El contacto marcó como spam un envío anterior",
        "en": "The contact marked an earlier email as spam",
    },
    "reason.unsubscribed": {
        "es": "El contacto canceló la suscripción",
        "en": "The contact unsubscribed",
    },
    "reason.previous_bounce": {
        "es": "Envíos anteriores rebotaron",
        "en": "Earlier emails bounced",
    },
    "reason_short.invalid_address": {"es": "Dirección inválida", "en": "Invalid address"},
    "reason_short.previous_spam": {"es": "Marcó como spam", "en": "Marked as spam"},
    "reason_short.unsubscribed": {"es": "Canceló la suscripción", "en": "Unsubscribed"},
    "reason_short.previous_bounce": {"es": "Rebotes anteriores", "en": "Earlier bounces"},
    # --- contact page ---
    "contacts.page": {"es": "Contactos", "en": "Contacts"},
    "contacts.title": {
        "es": "Qué pasó con los correos de un contacto",
        "en": "What happened with a contact's emails",
    },
    "search.label": {
        "es": "Buscar contacto por nombre o correo",
        "en": "Search a contact by name or email",
    },
    "search.placeholder": {"es": "p. ej. José Núñez o jose@…", "en": "e.g. José Núñez or jose@…"},
    "search.hint": {
        "es": "Escribe parte del nombre o del correo, o el id del CRM: verás sugerencias "
        "mientras escribes.",
        "en": "Type part of the name or the email, or the CRM id: suggestions appear as you type.",
    },
    "search.none": {
        "es": "Ningún contacto coincide con «{text}».",
        "en": "No contact matches “{text}”.",
    },
    "search.short": {
        "es": "Con una o dos letras solo se buscan nombres y correos que empiecen así; "
        "escribe tres o más para buscar dentro de ellos.",
        "en": "With one or two letters only names and emails that start with them are "
        "searched; type three or more to search inside them.",
    },
    "search.crm_id": {"es": "id del CRM {id}", "en": "CRM id {id}"},
    "search.count_one": {"es": "1 coincidencia", "en": "1 match"},
    "search.count_more": {
        "es": "Más de {count} coincidencias: escribe más para acotar",
        "en": "More than {count} matches: type more to narrow them down",
    },
    "search.count": {
        "es": "{count} coincidencias (las mejores primero)",
        "en": "{count} matches (best first)",
    },
    "badge.ok": {"es": "Se puede enviar", "en": "Can be sent to"},
    "badge.blocked": {"es": "Bloqueado", "en": "Blocked"},
    "link.bad": {
        "es": "El enlace no es válido: «{value}» no es un identificador de contacto. Busca el "
        "contacto aquí abajo.",
        "en": "The link is not valid: “{value}” is not a contact id. Search the contact below.",
    },
    "link.unknown": {
        "es": "No existe ningún contacto con el identificador {value} (puede que se haya "
        "eliminado). Busca el contacto aquí abajo.",
        "en": "There is no contact with id {value} (it may have been deleted). Search the "
        "contact below.",
    },
    "card.close": {"es": "Buscar otro contacto", "en": "Search another contact"},
    "card.created": {"es": "Contacto creado el {date}", "en": "Contact created on {date}"},
    "card.id": {"es": "Identificador: {id}", "en": "Id: {id}"},
    "card.crm_id": {"es": "Id en el CRM", "en": "CRM id"},
    "card.email": {"es": "Correo", "en": "Email"},
    "card.invalid_email": {
        "es": "La dirección de correo es inválida: no se le puede enviar ningún correo.",
        "en": "The email address is invalid: no email can be sent to it.",
    },
    "status.ok": {"es": "Se puede enviar", "en": "Emails can be sent"},
    "status.ok_detail": {
        "es": "Nada impide los próximos envíos a este contacto.",
        "en": "Nothing prevents the next emails to this contact.",
    },
    "status.blocked": {
        "es": "Los próximos envíos no se realizarán: {reason}",
        "en": "The next emails will not be sent: {reason}",
    },
    "status.since": {"es": "desde el {date}", "en": "since {date}"},
    "status.cause": {"es": "{origin} «{campaign}»", "en": "{origin} “{campaign}”"},
    "status.also": {"es": "Además, {reason}:", "en": "Also, {reason}:"},
    "status.soft_evidence": {
        "es": "{count} rebotes suaves en los últimos {sends} envíos, sin ninguna entrega entre "
        "ellos",
        "en": "{count} soft bounces in the last {sends} sends, with no delivery between them",
    },
    "status.soft_evidence_one_send": {
        "es": "{count} rebote suave en el último envío",
        "en": "{count} soft bounce in the last send",
    },
    "status.hard_evidence": {"es": "un rebote duro", "en": "a hard bounce"},
    "status.provider_evidence": {
        "es": "el proveedor no lo envió",
        "en": "the provider did not send it",
    },
    "notices.title": {"es": "Avisos", "en": "Notices"},
    "notices.filter": {"es": "Mostrar avisos de", "en": "Show notices from"},
    "notices.all": {"es": "Todos ({count})", "en": "All ({count})"},
    "notices.origin_count": {"es": "{origin} ({count})", "en": "{origin} ({count})"},
    "notices.none_at_all": {
        "es": "Todavía no se ha enviado ningún correo a este contacto.",
        "en": "No email has been sent to this contact yet.",
    },
    "notices.only_deliveries": {
        "es": "Sin avisos: los {count} correos enviados llegaron correctamente.",
        "en": "No notices: the {count} emails sent were all delivered.",
    },
    "notices.only_delivery": {
        "es": "Sin avisos: el único correo enviado llegó correctamente.",
        "en": "No notices: the only email sent was delivered.",
    },
    "notices.none_for_origin": {
        "es": "No hay avisos de {origin} para este contacto.",
        "en": "There are no {origin} notices for this contact.",
    },
    "notices.page": {
        "es": "Avisos {first}–{last} de {total}",
        "en": "Notices {first}–{last} of {total}",
    },
    "notice.provider": {"es": "Respuesta del servidor: {text}", "en": "Server response: {text}"},
    "notice.provider_reason": {
        "es": "Motivo indicado por el proveedor: {text}",
        "en": "Reason given by the provider: {text}",
    },
    "notice.sent_ok": {"es": "El correo se envió correctamente.", "en": "The email was delivered."},
    "notice.spam": {
        "es": "Después, el contacto lo marcó como spam.",
        "en": "Then the contact marked it as spam.",
    },
    "notice.spam_no_delivery": {
        "es": "El contacto marcó este correo como spam (Rastro no tiene registrada su entrega).",
        "en": "The contact marked this email as spam (Rastro has no record of its delivery).",
    },
    "notice.no_campaign": {"es": "(campaña desconocida)", "en": "(unknown campaign)"},
    "history.title": {
        "es": "Historial completo de envíos ({count})",
        "en": "Complete sending history ({count})",
    },
    "history.when": {"es": "Fecha", "en": "Date"},
    "history.what": {"es": "Qué pasó", "en": "What happened"},
    "history.origin": {"es": "Origen", "en": "Origin"},
    "history.campaign": {"es": "Campaña o flujo", "en": "Campaign or flow"},
    "history.detail": {"es": "Detalle", "en": "Detail"},
    "history.editor": {"es": "Editor", "en": "Editor"},
    "history.editor_help": {
        "es": "Abre la campaña o el flujo en su editor",
        "en": "Opens the campaign or the flow in its editor",
    },
}

LANGUAGES = ("es", "en")
DEFAULT_LANGUAGE = "es"


def t(key: str, language: str = DEFAULT_LANGUAGE, **values) -> str:
    """The text for `key` in `language` (falling back to Spanish), with `values` filled in."""
    entry = CATALOGUE[key]
    text = entry.get(language) or entry[DEFAULT_LANGUAGE]
    return text.format(**values) if values else text


def md(key: str, language: str = DEFAULT_LANGUAGE, **values) -> Markdown:
    """The text for `key` as Markdown: the catalogue's own Markdown with every value escaped
    (unless it is Markdown already, or a number or a date)."""
    entry = CATALOGUE[key]
    return md_format(entry.get(language) or entry[DEFAULT_LANGUAGE], **values)
