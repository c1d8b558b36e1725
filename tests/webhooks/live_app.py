"""The dashboard's own ASGI app (streamlit_app.app) with the SNS certificate fetch pointed at
a file the test wrote, for `uvicorn tests.webhooks.live_app:app`: SES over real HTTP with no
network. Never used outside the tests."""

import os
from pathlib import Path

import streamlit_app
from data_access.webhooks import http, verify

_pem = Path(os.environ["RASTRO_TEST_SNS_CERT"]).read_bytes()
http.service.sns = verify.SnsVerifier(fetch=lambda url: _pem, visit=lambda url: None)
app = streamlit_app.app
