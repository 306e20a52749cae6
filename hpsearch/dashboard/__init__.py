"""The dashboard and reports: a local web page over the runs of a folder, read live from their
files (`server`), and the same views of some runs in one offline HTML file (`report`).

`data` reads a run directory into JSON-able views, incrementally (`tables`); `folder` lists the
runs of a folder and compares them; `page` assembles the one HTML page both serve, from the
package's `assets/` (its style and scripts) and Plotly's JavaScript (the `dashboard` extra).
Nothing below the command line imports this package.
"""
