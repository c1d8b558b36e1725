"""Bloqueados: every contact the next send will skip, why, since when, and the exports."""

import streamlit as st

from dashboard import auth, blocks_view, data, ui

auth.require_admin()
st.title(ui.text("blocks.title"))
st.caption(ui.text("blocks.intro"))
ui.render_settings_problems(st)

selected = blocks_view.render_filters(st.container())
if selected is None:
    st.stop()
with ui.database_errors_shown():
    counts = data.block_counts(selected)
blocks_view.render_headline(st.container(), counts)
total = int(counts["contacts"].sum())
if total == 0:
    st.info(ui.text("blocks.empty"))
    st.stop()
settings = data.settings()
blocks_view.render_list(st.container(), selected, total, settings)
blocks_view.render_exports(st.container(), selected, settings)
