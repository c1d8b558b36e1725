"""Every colour the dashboard uses: one per kind of notice, the same on the card and in every
chart; one per origin, bounce category and not-sent reason; one per level of a rate."""

# Streamlit badge colour names (card) and the hex colours charts use for the same notice.
BADGE_COLOR = {
    "delivered": "green",
    "sent": "gray",
    "bounced": "orange",
    "spam_complaint": "red",
    "not_sent": "gray",
    "unsubscribed": "yellow",
    "resubscribed": "green",
}
HEX_COLOR = {
    "delivered": "#2f9e44",
    "sent": "#868e96",
    "bounced": "#e8590c",
    "spam_complaint": "#c92a2a",
    "not_sent": "#495057",
    "unsubscribed": "#f08c00",
    "resubscribed": "#66a80f",
}
ORIGIN_BADGE_COLOR = {"campaign": "blue", "automation": "violet"}
ORIGIN_HEX = {"campaign": "#1f5fa8", "automation": "#7048e8"}
# Bounce categories (diagnostics.CATEGORIES), in the order the charts' legends list them.
CATEGORY_HEX = {
    "mailbox_unknown": "#c92a2a",
    "domain_unknown": "#e8590c",
    "mailbox_full": "#f08c00",
    "mailbox_disabled": "#a61e4d",
    "blocked": "#5f3dc4",
    "temporary": "#1c7ed6",
    "other": "#868e96",
}
REASON_HEX = {
    "invalid_address": "#495057",
    "previous_spam": "#c92a2a",
    "unsubscribed": "#f08c00",
    "previous_bounce": "#e8590c",
}
# Badge colour of a bounce or complaint rate against its limits (report_view.rate_level).
LEVEL_BADGE_COLOR = {"ok": "green", "warning": "orange", "critical": "red", "none": "gray"}
