"""Live delivery events: signed provider webhooks received into a durable inbox and moved
into events by a worker, through the same store as the file imports. No Streamlit here.

    settings   the RASTRO_WEBHOOK_* / RASTRO_*_WEBHOOK_* environment settings
    verify     basic auth, SendGrid ECDSA, Mailgun HMAC, SNS signatures (pure checks)
    inbox      the inbox and request-count tables
    worker     inbox → events (batches, one transaction each; a daemon thread or the CLI)
    http       the Starlette routes and the standalone ASGI app `api`
    status     the figures of the Recepción page and `webhooks status`
"""
