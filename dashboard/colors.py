"""One colour per kind of notice, the same on the card and in every chart."""

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
