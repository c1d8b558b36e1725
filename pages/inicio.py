"""Home page (placeholder until the contact, report and import pages arrive)."""

import streamlit as st

from dashboard import data
from dashboard.i18n import t
from data_access import DatabaseUnavailable

st.title(t("app.title"))
st.write(t("app.tagline"))
try:
    engine = data.engine()
except DatabaseUnavailable as error:
    st.error(t("error.database", detail=str(error)))
    st.stop()
st.success(t("home.ready", engine=engine.dialect.name))
st.info(t("home.coming"))
