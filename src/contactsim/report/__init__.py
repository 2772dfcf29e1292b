"""Reports: plotly figures from result tables (``figures``), the self-contained HTML page (``html``) and
PNG/SVG export for slides (``images``). The only package that imports plotly; it reads results from disk
(``data``) and never touches the engine."""
