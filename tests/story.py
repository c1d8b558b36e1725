"""A handful of hand-made contacts whose history is known exactly, for query and card tests."""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from data_access import rollups, schema, users
from data_access.status import refresh_contact_status
from data_access.text import fold, normalise_email

T0 = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)

CAMPAIGNS = [
    {"id": 1, "origin": "campaign", "external_id": "cmp-77", "name": "Black Friday"},
    {"id": 2, "origin": "automation", "external_id": "flujo-9", "name": "Bienvenida"},
]

# name, email, [(day, event, campaign, extra)]
CONTACTS = {
    "jose": (
        "José Núñez Peña",
        "Jose.Nunez@Example.com",
        [
            (0, "delivered", 2, {}),
            (
                1,
                "bounced",
                2,
                {
                    "bounce_type": "soft",
                    "provider_reason": "Mailbox full",
                    "smtp_diagnostic": "452 4.2.2 over quota",
                },
            ),
            (2, "delivered", 1, {}),
            (3, "spam_complaint", 1, {}),
            (9, "not_sent", 1, {"reason": "previous_spam"}),
        ],
    ),
    "mariajo": (
        "María José García-Pelayo",
        "mj.garcia@example.com",
        [
            (0, "delivered", 1, {}),
            (1, "unsubscribed", 1, {}),
            (5, "not_sent", 1, {"reason": "unsubscribed"}),
        ],
    ),
    "ana": (
        "Ana López",
        "ana lopez@example.com",
        [(2, "not_sent", 1, {"reason": "invalid_address"})],
    ),
    "pedro": (
        "Pedro Gómez",
        "pedro.gomez@example.com",
        [
            (
                4,
                "bounced",
                2,
                {
                    "bounce_type": "hard",
                    "provider_reason": "User unknown",
                    "smtp_diagnostic": "550 5.1.1 User unknown",
                },
            ),
            (6, "not_sent", 2, {"reason": "previous_bounce"}),
        ],
    ),
    "lucia": ("Lucía Fernández", "lucia@example.com", []),
    "garcia2": ("José García", "jose.garcia@example.org", [(5, "delivered", 2, {})]),
}


PASSWORD = "contraseña-de-prueba-1"  # test fixture only
# username, display name, role, active
USERS = [
    ("ana.admin", "Ana Administradora", "admin", True),
    ("victor.ventas", "Víctor Vendedor", "seller", True),
    ("dora.baja", "Dora de Baja", "admin", False),
]

HEAVY = (
    "Buzón de Pruebas del Equipo de Marketing Digital de la Región Andina",
    "pruebas.marketing@example.com",
)
HEAVY_EVENTS = 1500


def _heavy_events(contact_id: int) -> list[dict]:
    """1,500 emails over a year: mostly delivered, every 10th a soft bounce."""
    rows = []
    for i in range(HEAVY_EVENTS):
        bounce = i % 10 == 9
        rows.append(
            {
                "contact_id": contact_id,
                "campaign_id": 1 + i % 2,
                "event": "bounced" if bounce else "delivered",
                "bounce_type": "soft" if bounce else None,
                "smtp_diagnostic": "452 4.2.2 Mailbox full" if bounce else None,
                "provider": "test",
                "occurred_at": T0 - timedelta(hours=6 * i),
            }
        )
    return rows


def load_story(engine: sa.Engine, *, heavy: bool = False) -> dict[str, int]:
    """Insert the story into an empty, migrated database; return contact ids by key.

    With `heavy`, also a contact with 1,500 emails (key "heavy")."""
    ids = {}
    contacts = dict(CONTACTS)
    if heavy:
        contacts["heavy"] = (*HEAVY, [])
    with engine.begin() as conn:
        conn.execute(
            schema.campaigns.insert(),
            [{**c, "created_at": T0 - timedelta(days=30)} for c in CAMPAIGNS],
        )
        for key, (name, email, events) in contacts.items():
            contact_id = conn.execute(
                schema.contacts.insert().returning(schema.contacts.c.id),
                {
                    "name": name,
                    "email": normalise_email(email),
                    "name_key": fold(name),
                    "email_key": fold(normalise_email(email)),
                    "created_at": T0 - timedelta(days=10),
                },
            ).scalar_one()
            ids[key] = contact_id
            for day, event, campaign, extra in events:
                conn.execute(
                    schema.email_events.insert(),
                    {
                        "contact_id": contact_id,
                        "campaign_id": campaign,
                        "event": event,
                        "provider": "test",
                        "occurred_at": T0 + timedelta(days=day),
                        **extra,
                    },
                )
        if heavy:
            conn.execute(schema.email_events.insert(), _heavy_events(ids["heavy"]))
        refresh_contact_status(conn, ids.values())
        rollups.rebuild(conn)
        for username, name, role, active in USERS:
            users.add_user(
                conn,
                username,
                display_name=name,
                role=role,
                password=PASSWORD,
                email=f"{username}@crm.test",
            )
            if not active:
                users.set_active(conn, username, False)
    return ids
